#!/usr/bin/env bash
# Sets up, builds and starts articled on ./articled.db, port 8080, listening on loopback.
# Every argument is passed to articled (`bash scripts/run.sh --port 9000`; the flags are
# listed by `build-release/articled --help`), as are ARTICLED_* variables.
# Builds in build-release/, a folder of its own: scripts/test.sh's builds (build/, ...) keep
# their options, whichever of the two runs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build runtime
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DARTICLED_TESTS=OFF \
    -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=OFF -DARTICLED_SANITIZE=OFF -DARTICLED_TSAN=OFF \
    >/dev/null
cmake --build build-release -j"$(nproc)" --target articled
exec build-release/articled "$@"
