#!/bin/sh
# check_figures.sh SOURCE_DIR - the figures the READMEs claim are those toolchain/figures.sh
# wrote: every figures block of the tracked *.md files carries a stamp in the script's format
# and is unchanged since (figures.sh --check). Then the check itself is tried on copies of
# README.md: as it is (passes), with a figure edited by hand inside a block, with a block's
# stamp removed, and with a block never closed (each must fail), so the check cannot pass
# vacuously.
set -u
src=${1:?usage: check_figures.sh SOURCE_DIR}
fig="$src/toolchain/figures.sh"
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/posterm-figures.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

bash "$fig" --check || fail "a tracked README's figures block is unstamped or was edited by hand (run toolchain/figures.sh)"

grep -q '^<!-- figures: sizes -->$' "$src/README.md" || fail "README.md has no sizes block"

cp "$src/README.md" "$tmp/as-is.md"
bash "$fig" --check "$tmp/as-is.md" >/dev/null || fail "--check refuses README.md as it is"

# A hand edit: every size in the sizes block given one more digit.
sed '/^<!-- figures: sizes -->$/,/^<!-- \/figures -->$/ s/ B |/0 B |/' "$src/README.md" >"$tmp/edited.md"
cmp -s "$src/README.md" "$tmp/edited.md" && fail "the edit of a figure did not happen (test broken)"
bash "$fig" --check "$tmp/edited.md" >/dev/null && fail "--check passes a figure edited by hand"

grep -v '^<!-- stamp: toolchain/figures.sh ' "$src/README.md" >"$tmp/unstamped.md"
bash "$fig" --check "$tmp/unstamped.md" >/dev/null && fail "--check passes a block without a stamp"

grep -v '^<!-- /figures -->$' "$src/README.md" >"$tmp/unclosed.md"
bash "$fig" --check "$tmp/unclosed.md" >/dev/null && fail "--check passes a block never closed"

sed 's/^\(<!-- stamp: toolchain\/figures.sh build=\)[^ ]*/\1/' "$src/README.md" >"$tmp/badstamp.md"
bash "$fig" --check "$tmp/badstamp.md" >/dev/null && fail "--check passes a stamp without the build type"

[ "$failed" -eq 0 ] || exit 1
echo "figures blocks stamped, and --check refuses hand edits, missing stamps and unclosed blocks"
