#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) into build-fuzz/fuzz/: the libraries
# with clang, ASan + UBSan and libFuzzer's coverage instrumentation in their own build
# directory, then each harness with -fsanitize=fuzzer,address,undefined against them.
# Needs clang and libclang-rt-14-dev (libFuzzer's runtime). Usage: tests/fuzz/build.sh
# FUZZ_BUILD_DIR=<dir> builds into <dir> instead of build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=$(nproc)
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# fuzzer-no-link: the libraries get the coverage hooks libFuzzer steers by, not its main().
CC=clang cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARTICLED_SANITIZE=ON \
    -DARTICLED_TESTS=OFF -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
if ! grep -q '^CMAKE_C_COMPILER:.*clang' "$out/CMakeCache.txt"; then
    echo "build.sh: $out was configured with another compiler; remove it and retry" >&2
    exit 1
fi
cmake --build "$out" -j"$jobs" --target articled_core articled_store articled_analysis

# Static libraries before what they use: core -> store -> analysis -> system libraries.
libs=("$out/libarticled_core.a" "$out/libarticled_store.a" "$out/libarticled_analysis.a")
read -r -a syslibs <<<"$(pkg-config --libs libmicrohttpd jansson sqlite3 libxxhash nettle)"
read -r -a cflags <<<"$(pkg-config --cflags libmicrohttpd jansson sqlite3 libxxhash nettle)"
mkdir -p "$out/fuzz"
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin="$out/fuzz/$name"
    # relink only when the harness, the shared header or a library is newer
    if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt tests/fuzz/fuzz.h ] &&
        [ "$bin" -nt "${libs[0]}" ] && [ "$bin" -nt "${libs[1]}" ] && [ "$bin" -nt "${libs[2]}" ]; then
        continue
    fi
    echo "fuzz: building $bin"
    clang -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Itests/fuzz "${cflags[@]}" \
        -fsanitize=fuzzer "${sanitize[@]}" "$src" "${libs[@]}" "${syslibs[@]}" \
        -lunistring -lm -lpthread -o "$bin"
done
