#!/usr/bin/env bash
# bench/ingest_rss.sh: peak memory and rate of a large _bulk ingest into an empty database,
# the RSS target's measurement (peak RSS < 200 MB at 1,000,000 articles, every feature on).
#
# Starts articled on a temp database (loopback, free port), sends the corpus with
# `loadgen --mode bulk` (10,000-line requests, two in flight by default), samples
# /proc/PID/status every 0.2 s, stops the server with SIGTERM and prints JSON lines: loadgen's
# own `bulk` line, then one `ingest_rss` line with the peak (VmHWM), the RSS samples' median
# and 99th percentile, and the exit status. Bounded: loadgen stops after --duration seconds.
#
#   bench/ingest_rss.sh --n 1000000                    # generates the corpus (seed 42) first
#   bench/ingest_rss.sh --corpus big.ndjson --bin build/articled --env MALLOC_ARENA_MAX=8
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100000
SEED=42
CORPUS=""
BIN=""
BATCH=10000
CONC=2
DURATION=3600
ENVS=()
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --n) N="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --concurrency) CONC="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --env) ENVS+=("$2"); shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    *) echo "usage: bench/ingest_rss.sh [--n N | --corpus FILE] [--seed S] [--bin PATH]" \
            "[--batch 10000] [--concurrency 2] [--duration S] [--env NAME=VALUE]..." \
            "[--articled-flags \"...\"]" >&2; exit 2 ;;
    esac
done

# as bench/run does: with --bin, only the bench tools are built, on their own
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_build "$ROOT" loadgen corpusgen
TMP=$(mktemp -d)
PID=""
SAMPLER=""
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ -z "$CORPUS" ]; then
    CORPUS="$TMP/corpus.ndjson"
    "$TOOLS/corpusgen" --data "$ROOT/../shared/data/news" --n "$N" --seed "$SEED" >"$CORPUS" \
        2>"$TMP/corpusgen.log"
fi

# shellcheck disable=SC2086
setsid env ${ENVS[@]+"${ENVS[@]}"} "$BIN" --port 0 --bind 127.0.0.1 --db "$TMP/ingest.db" \
    --log-format json --search-rate 0 $FLAGS >"$TMP/server.log" 2>&1 &
PID=$!
PORT=""
for _ in $(seq 100); do
    PORT=$(grep -m 1 '"msg":"listening"' "$TMP/server.log" 2>/dev/null |
        sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "articled did not start" >&2; cat "$TMP/server.log" >&2; exit 1; }

( while kill -0 "$PID" 2>/dev/null; do
      awk '/^VmRSS:/ {print $2}' "/proc/$PID/status" 2>/dev/null || true
      sleep 0.2
  done ) >"$TMP/rss" &
SAMPLER=$!

"$TOOLS/loadgen" --url "http://127.0.0.1:$PORT" --mode bulk --file "$CORPUS" --batch "$BATCH" \
    --concurrency "$CONC" --duration "$DURATION"
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
STATUS=0
kill -TERM "$PID"
wait "$PID" || STATUS=$?
PID=""
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=""
sort -n "$TMP/rss" | awk -v hwm="$HWM" -v st="$STATUS" -v env="${ENVS[*]:-}" '
    { v[NR] = $1 }
    END {
        if (NR == 0) { NR = 1; v[1] = 0 }
        printf "{\"system\":\"articled\",\"op\":\"ingest_rss\",\"vmhwm_kb\":%d,", hwm
        p99 = int(NR * 0.99); if (p99 < 1) p99 = 1
        printf "\"rss_median_kb\":%d,\"rss_p99_kb\":%d,", v[int((NR + 1) / 2)], v[p99]
        printf "\"samples\":%d,\"env\":\"%s\",\"exit_status\":%d}\n", NR, env, st
    }'
