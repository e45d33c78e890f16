#!/usr/bin/env bash
# bench/wal_pages.sh: WAL pages the writer writes per article, the write-cost figure of
# issue 17 (what the disk and the checkpoints pay for each article).
#
# Starts articled on a temp database (loopback, free port), loads --preload articles of the
# corpus with `loadgen --mode bulk` (1,000-line requests one after another, as a feed poller
# sends them), then sends the next --posts articles as single POSTs at --concurrency, and reads
# articled_wal_pages_total from /metrics after each phase (pages appended to the WAL, counted
# by the writer's WAL hook across checkpoints). Prints loadgen's own lines, then one JSON line
# per phase: {"system":"articled","op":"wal_pages","phase":"bulk"|"post","articles":N,
# "wal_pages":P,"pages_per_article":P/N}, then one "stage_cost" line per stage of the write path
# (microseconds per article, both phases). Bounded: each loadgen step stops after --duration.
#
#   bench/wal_pages.sh --n 12000                      # generates the corpus (seed 42) first
#   bench/wal_pages.sh --corpus c.ndjson --bin build-release/articled --preload 10000 --posts 2000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=12000
SEED=42
CORPUS=""
BIN=""
PRELOAD=10000
POSTS=2000
CONC=32
DURATION=900
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --n) N="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --preload) PRELOAD="$2"; shift 2 ;;
    --posts) POSTS="$2"; shift 2 ;;
    --concurrency) CONC="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    *) echo "usage: bench/wal_pages.sh [--n N | --corpus FILE] [--seed S] [--bin PATH]" \
            "[--preload 10000] [--posts 2000] [--concurrency 32] [--duration S]" \
            "[--articled-flags \"...\"]" >&2; exit 2 ;;
    esac
done

if [ -n "$BIN" ]; then
    TOOLS="$ROOT/build-bench-tools"
    cmake -S "$ROOT/bench" -B "$TOOLS" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$TOOLS" -j"$(nproc)" --target loadgen corpusgen >/dev/null
else
    TOOLS="$ROOT/build-bench/bench"
    BIN="$ROOT/build-bench/articled"
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$ROOT/build-bench" -j"$(nproc)" --target articled loadgen corpusgen >/dev/null
fi
TMP=$(mktemp -d)
PID=""
cleanup() {
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ -z "$CORPUS" ]; then
    CORPUS="$TMP/corpus.ndjson"
    "$TOOLS/corpusgen" --data "$ROOT/../shared/data/news" --n "$N" --seed "$SEED" >"$CORPUS" \
        2>"$TMP/corpusgen.log"
fi
head -n "$PRELOAD" "$CORPUS" >"$TMP/bulk.ndjson"
tail -n +"$((PRELOAD + 1))" "$CORPUS" | head -n "$POSTS" >"$TMP/post.ndjson"

# shellcheck disable=SC2086
setsid "$BIN" --port 0 --bind 127.0.0.1 --db "$TMP/wal.db" --log-format json --access-log off \
    --search-rate 0 $FLAGS >"$TMP/server.log" 2>&1 &
PID=$!
PORT=""
for _ in $(seq 100); do
    PORT=$(grep -m 1 '"msg":"listening"' "$TMP/server.log" 2>/dev/null |
        sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "articled did not start" >&2; cat "$TMP/server.log" >&2; exit 1; }

metric() {
    curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
phase() { # name articles pages_before pages_after
    awk -v p="$1" -v n="$2" -v a="$3" -v b="$4" 'BEGIN {
        printf "{\"system\":\"articled\",\"op\":\"wal_pages\",\"phase\":\"%s\",\"articles\":%d,", p, n
        printf "\"wal_pages\":%d,\"pages_per_article\":%.2f}\n", b - a, n ? (b - a) / n : 0 }'
}

W0=$(metric articled_wal_pages_total)
[ -n "$W0" ] || { echo "this articled has no articled_wal_pages_total metric" >&2; exit 1; }
A0=$(metric articled_articles)
"$TOOLS/loadgen" --url "http://127.0.0.1:$PORT" --mode bulk --file "$TMP/bulk.ndjson" --batch 1000 \
    --concurrency 1 --duration "$DURATION"
W1=$(metric articled_wal_pages_total)
A1=$(metric articled_articles)
"$TOOLS/loadgen" --url "http://127.0.0.1:$PORT" --mode post --file "$TMP/post.ndjson" \
    --concurrency "$CONC" --duration "$DURATION"
W2=$(metric articled_wal_pages_total)
A2=$(metric articled_articles)
phase bulk "$((A1 - A0))" "$W0" "$W1"
phase post "$((A2 - A1))" "$W1" "$W2"
# where the time went, both phases together: each stage's time per article it ran on
# (articled_stage_seconds_total / articled_stage_articles_total; absent in older binaries)
curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
    /^articled_stage_seconds_total\{/ { split($1, a, "\""); sec[a[2]] = $2; order[++n] = a[2] }
    /^articled_stage_articles_total\{/ { split($1, a, "\""); cnt[a[2]] = $2 }
    END { for (i = 1; i <= n; i++) { s = order[i]; if (cnt[s] > 0)
        printf "{\"system\":\"articled\",\"op\":\"stage_cost\",\"stage\":\"%s\",\"articles\":%d,\"us_per_article\":%.1f}\n", s, cnt[s], sec[s] * 1e6 / cnt[s] } }'

kill -TERM "$PID"
wait "$PID" || true
PID=""
