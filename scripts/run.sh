#!/usr/bin/env bash
# Sets up, builds and starts articled on ./articled.db, port 8080 (override
# with the flags of `build/articled --help` or ARTICLED_* variables).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DARTICLED_TESTS=OFF -DARTICLED_TOOLS=OFF \
      -DARTICLED_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target articled
exec build/articled "$@"
