#!/bin/sh
# check_self_contained.sh SOURCE_DIR [BUILD_DIR] - fails when a file of the repository cites a
# document or a path that is not in it: the old design document, or a folder beside or above
# the checkout. ARCHITECTURE.md is the design; the repository must make sense on its own.
#
# Files: git's tracked files when SOURCE_DIR is a git checkout, else every file under it
# (BUILD_DIR, if inside, is left out). The patterns are split so this file does not match.
set -u
src=${1:?usage: check_self_contained.sh SOURCE_DIR [BUILD_DIR]}
build=${2:-}
pattern='DESIGN''\.md|\.\./''shared|/work''/'

list() {
    if command -v git >/dev/null 2>&1 && git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$src" ls-files -z | (cd "$src" && xargs -0 -r ls -d -- 2>/dev/null)
    else
        (cd "$src" && find . -path ./.git -prune -o ${build:+-path "./$(realpath --relative-to="$src" "$build")" -prune -o} -type f -print)
    fi
}

found=$(list | (cd "$src" && tr '\n' '\0' | xargs -0 -r grep -HnIE -- "$pattern"))
if [ -n "$found" ]; then
    echo "files that cite something outside the repository (cite ARCHITECTURE.md or state the fact):"
    echo "$found"
    exit 1
fi
echo "no file cites anything outside the repository"
