#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit and black-box API tests
# (fault tests included) in a normal build and again under AddressSanitizer +
# UBSan, every libFuzzer harness for a bounded time, the benchmark suite once at
# a small size (so it cannot rot), and the container check (skipped with a
# message where podman or debootstrap cannot be installed).
# ARTICLED_FUZZ_SECONDS (default 30 per harness); ARTICLED_QUICK=1 runs only the
# two test builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
passed=0

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure
passed=$((passed + 1))

echo "== build and test under ASan + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DARTICLED_SANITIZE=ON \
      -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure
passed=$((passed + 1))

if [ "${ARTICLED_QUICK:-0}" != 1 ]; then
  echo "== fuzzing: every harness for ${ARTICLED_FUZZ_SECONDS:-30} s"
  bash tests/fuzz/run.sh "${ARTICLED_FUZZ_SECONDS:-30}"
  passed=$((passed + 1))

  echo "== benchmark suite at a small size (figures, no assertions)"
  bash bench/run --n 2000 --quick
  passed=$((passed + 1))

  if [ -f tests/container/verify.sh ]; then
    echo "== container: build the Dockerfile and run the image's filesystem"
    bash tests/container/verify.sh
    passed=$((passed + 1))
  fi
fi
echo "suite: $passed passed, 0 failed"
