#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR [--quick] - every benchmark against an existing build
# tree (builds nothing), then one table. --quick: a seconds-long smoke pass (ctest, label bench).
# Figures only: nothing here fails because something was slow. Set POSTERM_BENCH_DIR to put the
# scratch journals elsewhere (default: inside BUILD_DIR, i.e. on a real disk, not a tmpfs).
set -euo pipefail
if [ $# -lt 1 ] || [ ! -x "$1/posterm" ] || [ ! -x "$1/posterm-sim" ] || [ ! -x "$1/tests/bench/bench_journal" ]; then
    echo "usage: tests/bench/run.sh BUILD_DIR [--quick]  (BUILD_DIR must hold posterm, posterm-sim, tests/bench/)" >&2
    exit 2
fi
exec python3 "$(dirname "$0")/bench.py" "$@"
