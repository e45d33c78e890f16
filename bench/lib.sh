# bench/lib.sh: start-up helpers shared by bench scripts (sourced, not run).
# shellcheck shell=bash
#
#   bench_start BIN DB LOG [articled flags...]   starts articled on loopback, a free port;
#                                                sets BENCH_PID and BENCH_PORT, or returns 1
#   bench_stop                                   SIGTERM, wait, clears BENCH_PID
#   bench_metric NAME                            one value of /metrics
#   bench_build ROOT TARGET...                   builds the bench tools (Release): with BIN
#                                                set, the tools alone in build-bench-tools;
#                                                else articled too in build-bench, and sets
#                                                BIN; sets TOOLS to the tools' folder
# The caller's EXIT trap should kill "$BENCH_PID" if it is set.

BENCH_PID=""
BENCH_PORT=""

bench_start() {
    local bin="$1" db="$2" log="$3"
    shift 3
    setsid "$bin" --port 0 --bind 127.0.0.1 --db "$db" --log-format json --access-log off \
        --search-rate 0 "$@" >"$log" 2>&1 &
    BENCH_PID=$!
    BENCH_PORT=""
    for _ in $(seq 100); do
        BENCH_PORT=$(grep -m 1 '"msg":"listening"' "$log" 2>/dev/null |
            sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
        [ -n "$BENCH_PORT" ] && curl -sf "http://127.0.0.1:$BENCH_PORT/healthz" >/dev/null &&
            return 0
        sleep 0.1
    done
    echo "articled did not start" >&2
    cat "$log" >&2
    return 1
}

bench_stop() {
    [ -n "$BENCH_PID" ] || return 0
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
    BENCH_PID=""
}

bench_build() {
    local root="$1"
    shift
    if [ -n "$BIN" ]; then
        TOOLS="$root/build-bench-tools"
        [ $# -gt 0 ] || return 0
        cmake -S "$root/bench" -B "$TOOLS" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$TOOLS" -j"$(nproc)" --target "$@" >/dev/null
    else
        TOOLS="$root/build-bench/bench"
        BIN="$root/build-bench/articled"
        cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$root/build-bench" -j"$(nproc)" --target articled "$@" >/dev/null
    fi
}

bench_metric() {
    curl -sf "http://127.0.0.1:$BENCH_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
