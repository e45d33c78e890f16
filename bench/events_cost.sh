#!/usr/bin/env bash
# bench/events_cost.sh: what the live stream (GET /v1/events) costs the writer, and how soon
# an event leaves after its commit (issue 20: 256 subscribers cost < 10% of the ingest rate;
# events within 100 ms of the commit).
#
# The same NDJSON corpus (the real news of ../shared/data/news by default, or --corpus FILE,
# or --synthetic N from bench/corpusgen, seed 42) goes as `_bulk` requests of 1,000 lines one
# after another into a fresh articled (loopback, free port, fresh database each time): with no
# subscriber, then with --streams subscribers (bench/sse_clients, every stream from change 0),
# --rounds times interleaved (the machine is shared: compare the rounds). Then, on the last
# server, on that second server, --posts single POSTs at --rate a second (the writer
# mostly idle) with --streams subscribers again, for the latency when the writer is not
# saturated. JSON lines: loadgen's `bulk` lines (label no_sse / sse), sse_clients' `sse`
# lines (label bulk / light), {"op":"ratio","name":"bulk_sse_vs_none",...} and the light
# phase's POST statuses. Bounded: each ingest stops after --duration, each client run after
# the ingest plus --grace seconds.
#
#   bench/events_cost.sh --bin build-release/articled
#   bench/events_cost.sh --bin build-release/articled --synthetic 20000 --streams 64
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
SYNTH=0
SEED=42
CORPUS=""
BIN=""
STREAMS=256
POSTS=200
RATE=10
DURATION=300
ROUNDS=2
GRACE=20
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --synthetic) SYNTH="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --posts) POSTS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --grace) GRACE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    *) echo "usage: bench/events_cost.sh [--corpus FILE | --synthetic N] [--seed S] [--bin PATH]" \
            "[--streams 256] [--posts 200] [--rate 10] [--rounds 2] [--duration 300]" \
            "[--grace 20]" \
            "[--articled-flags \"...\"]" >&2; exit 2 ;;
    esac
done

bench_build "$ROOT" loadgen corpusgen sse_clients
TMP=$(mktemp -d)
CLIENT=""
cleanup() {
    [ -n "$CLIENT" ] && kill -KILL "$CLIENT" 2>/dev/null || true
    [ -n "$BENCH_PID" ] && kill -KILL "$BENCH_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

DATA="$ROOT/../shared/data/news"
if [ -z "$CORPUS" ] && [ "$SYNTH" -gt 0 ]; then
    CORPUS="$TMP/corpus.ndjson"
    "$TOOLS/corpusgen" --data "$DATA" --n "$SYNTH" --seed "$SEED" >"$CORPUS" 2>"$TMP/corpusgen.log"
elif [ -z "$CORPUS" ]; then
    [ -f "$DATA/bbc.ndjson" ] || { echo "no $DATA: give --corpus or --synthetic" >&2; exit 2; }
    CORPUS="$TMP/corpus.ndjson"
    cat "$DATA/bbc.ndjson" "$DATA/reuters21578.ndjson" >"$CORPUS"
fi
TOTAL=$(grep -c . "$CORPUS")
head -n "$((TOTAL - POSTS))" "$CORPUS" >"$TMP/bulk.ndjson"
tail -n "$POSTS" "$CORPUS" >"$TMP/post.ndjson"
NBULK=$((TOTAL - POSTS))
# room for the light phase's streams while the bulk phase's wait for a heartbeat to be freed
# shellcheck disable=SC2206
XFLAGS=(--max-subscribers "$((2 * STREAMS + 8))" $FLAGS)

# Starts sse_clients in the background (CLIENT its pid) and waits for every stream's headers.
clients_start() { # label events since
    rm -f "$TMP/ready"
    "$TOOLS/sse_clients" --url "http://127.0.0.1:$BENCH_PORT" --streams "$STREAMS" \
        --events "$2" ${3:+--since "$3"} --duration "$((DURATION + GRACE + 60))" \
        --ready-file "$TMP/ready" --label "$1" >"$TMP/sse-$1.jsonl" &
    CLIENT=$!
    for _ in $(seq 300); do
        [ -f "$TMP/ready" ] && return 0
        kill -0 "$CLIENT" 2>/dev/null || break
        sleep 0.1
    done
    echo "sse_clients: not every stream opened" >&2
    return 1
}
# Waits up to GRACE seconds for the clients to see everything, then stops them (they print
# what they saw either way).
clients_finish() { # label
    for _ in $(seq "$((GRACE * 10))"); do
        kill -0 "$CLIENT" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$CLIENT" 2>/dev/null || true
    wait "$CLIENT" || true
    CLIENT=""
    cat "$TMP/sse-$1.jsonl"
}

rate() { sed -n 's/.*"articles_per_s":\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
for r in $(seq "$ROUNDS"); do
    bench_stop # the previous round's server with subscribers
    rm -f "$TMP"/b.db*
    # bulk ingest, nobody listening
    bench_start "$BIN" "$TMP/a.db" "$TMP/server-a.log" "${XFLAGS[@]}"
    "$TOOLS/loadgen" --url "http://127.0.0.1:$BENCH_PORT" --mode bulk --file "$TMP/bulk.ndjson" \
        --batch 1000 --concurrency 1 --duration "$DURATION" --label no_sse | tee "$TMP/bulk-a.jsonl"
    bench_stop
    rm -f "$TMP"/a.db*

    # the same on a fresh database, STREAMS subscribers from change 0
    bench_start "$BIN" "$TMP/b.db" "$TMP/server-b.log" "${XFLAGS[@]}"
    clients_start bulk "$NBULK" 0
    "$TOOLS/loadgen" --url "http://127.0.0.1:$BENCH_PORT" --mode bulk --file "$TMP/bulk.ndjson" \
        --batch 1000 --concurrency 1 --duration "$DURATION" --label sse | tee "$TMP/bulk-b.jsonl"
    clients_finish bulk

    awk -v a="$(rate "$TMP/bulk-a.jsonl")" -v b="$(rate "$TMP/bulk-b.jsonl")" -v n="$STREAMS" \
        -v r="$r" 'BEGIN {
        printf "{\"system\":\"report\",\"op\":\"ratio\",\"name\":\"bulk_sse_vs_none\",\"round\":%d,", r
        printf "\"streams\":%d,\"no_sse\":%.1f,\"sse\":%.1f,\"value\":%.3f}\n", n, a, b, (a > 0 ? b / a : 0) }'
done

# 3. light ingest on the same server: single POSTs at RATE a second, from the head on
clients_start light "$POSTS" ""
codes="$TMP/codes.txt"
: >"$codes"
pause=$(awk -v r="$RATE" 'BEGIN { printf "%.3f", 1 / r }')
t_end=$((SECONDS + DURATION))
while IFS= read -r line && [ "$SECONDS" -lt "$t_end" ]; do
    printf '%s' "$line" | curl -s -o /dev/null -w '%{http_code}\n' -X POST \
        -H 'Content-Type: application/json' --data-binary @- \
        "http://127.0.0.1:$BENCH_PORT/v1/articles" >>"$codes" || echo 000 >>"$codes"
    sleep "$pause"
done <"$TMP/post.ndjson"
clients_finish light
sort "$codes" | uniq -c | awk -v r="$RATE" '{ s = s sprintf("%s\"%s\":%d", (NR > 1 ? "," : ""), $2, $1) }
    END { printf "{\"system\":\"articled\",\"op\":\"light_posts\",\"rate\":%s,\"status\":{%s}}\n", r, s }'
bench_stop
