#!/usr/bin/env bash
# bench/facets.sh: what facets cost a search (issue 20: facets=source,day,entity on a query
# matching 100,000 of 1,000,000 articles, p99 <= 100 ms), and what the facet table costs in
# memory.
#
# Builds a synthetic corpus of N articles (bench/corpusgen, seed 42), ingests it into a fresh
# articled (loopback, free port) as `_bulk` requests of 1,000 lines, picks the word of a short
# list whose total is nearest 10% of N, then runs --requests searches one after another
# (loadgen, mode get, no answer cache: --search-cache 0) with facets=source,day,entity and the
# same search without facets, --rounds times interleaved. JSON lines: loadgen's `get` lines
# (label facets / plain; then one round of each on `the`, nearly every article, labels
# facets_broad / plain_broad: the cost per match), {"op":"query",...} (the word and its
# total), {"op":"memory",...}
# (the facet table's bytes from /metrics, per article, and the server's VmHWM), and
# {"op":"ratio","name":"facets_vs_plain_p99",...}. Bounded: the ingest stops after --duration.
#
#   bench/facets.sh --bin build-release/articled --n 100000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
N=100000
SEED=42
BIN=""
REQUESTS=200
ROUNDS=2
DURATION=1200
FACETS="source,day,entity"
while [ $# -gt 0 ]; do
    case "$1" in
    --n) N="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --facets) FACETS="$2"; shift 2 ;;
    *) echo "usage: bench/facets.sh [--n 100000] [--seed 42] [--bin PATH] [--requests 200]" \
            "[--rounds 2] [--duration 1200] [--facets source,day,entity]" >&2; exit 2 ;;
    esac
done

bench_build "$ROOT" loadgen corpusgen
TMP=$(mktemp -d)
cleanup() {
    [ -n "$BENCH_PID" ] && kill -KILL "$BENCH_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

DATA="$ROOT/../shared/data/news"
[ -d "$DATA" ] || { echo "no $DATA: corpusgen needs the real corpora" >&2; exit 2; }
"$TOOLS/corpusgen" --data "$DATA" --n "$N" --seed "$SEED" >"$TMP/corpus.ndjson" \
    2>"$TMP/corpusgen.log"

bench_start "$BIN" "$TMP/a.db" "$TMP/server.log" --search-cache 0
t0=$(date +%s)
"$TOOLS/loadgen" --url "http://127.0.0.1:$BENCH_PORT" --mode bulk --file "$TMP/corpus.ndjson" \
    --batch 1000 --concurrency 1 --duration "$DURATION" --label ingest
STORED=$(bench_metric articled_articles)
echo "{\"system\":\"articled\",\"op\":\"ingested\",\"articles\":$STORED,\"s\":$(($(date +%s) - t0))}"

# the word whose matches are nearest a tenth of the store
total() { curl -sf "http://127.0.0.1:$BENCH_PORT/v1/search?q=$1&limit=1" |
    sed -n 's/^{"total":\([0-9]*\).*/\1/p'; }
best=""
bestd=""
for w in market government people company year week million told official minister new first \
    time price bank former game; do
    t=$(total "$w")
    [ -n "$t" ] || continue
    d=$((t * 10 - STORED))
    d=${d#-}
    if [ -z "$bestd" ] || [ "$d" -lt "$bestd" ]; then
        best=$w
        bestd=$d
        btotal=$t
    fi
done
echo "{\"system\":\"articled\",\"op\":\"query\",\"q\":\"$best\",\"total\":$btotal,\"articles\":$STORED}"

Q="/v1/search?q=$best&limit=20"
for r in $(seq "$ROUNDS"); do
    for label in facets plain; do
        path=$Q
        [ "$label" = facets ] && path="$Q&facets=$FACETS"
        "$TOOLS/loadgen" --url "http://127.0.0.1:$BENCH_PORT" --mode get --path "$path" \
            --concurrency 1 --requests "$REQUESTS" --label "$label" | tee "$TMP/$label-$r.jsonl"
    done
    awk -v a="$(sed -n 's/.*"p99_ms":\([0-9.]*\).*/\1/p' "$TMP/facets-$r.jsonl")" \
        -v b="$(sed -n 's/.*"p99_ms":\([0-9.]*\).*/\1/p' "$TMP/plain-$r.jsonl")" -v r="$r" 'BEGIN {
        printf "{\"system\":\"report\",\"op\":\"ratio\",\"name\":\"facets_vs_plain_p99\",\"round\":%d,", r
        printf "\"facets_p99_ms\":%s,\"plain_p99_ms\":%s,\"value\":%.3f}\n", a, b, (b > 0 ? a / b : 0) }'
done
# the cost per match: a word nearly every article holds, one round
bt=$(total the)
echo "{\"system\":\"articled\",\"op\":\"query\",\"q\":\"the\",\"total\":${bt:-0},\"articles\":$STORED}"
for label in facets_broad plain_broad; do
    path="/v1/search?q=the&limit=20"
    [ "$label" = facets_broad ] && path="$path&facets=$FACETS"
    "$TOOLS/loadgen" --url "http://127.0.0.1:$BENCH_PORT" --mode get --path "$path" \
        --concurrency 1 --requests "$REQUESTS" --label "$label"
done
BYTES=$(bench_metric articled_facet_table_bytes)
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$BENCH_PID/status")
awk -v b="$BYTES" -v n="$STORED" -v h="$HWM" 'BEGIN {
    printf "{\"system\":\"articled\",\"op\":\"memory\",\"facet_table_bytes\":%d,", b
    printf "\"bytes_per_article\":%.1f,\"peak_rss_kb\":%d}\n", (n > 0 ? b / n : 0), h }'
# the table loaded again at a restart: how long the start takes
bench_stop
t0=$(date +%s%N)
bench_start "$BIN" "$TMP/a.db" "$TMP/server2.log"
echo "{\"system\":\"articled\",\"op\":\"restart\",\"articles\":$STORED,\"ms\":$((($(date +%s%N) - t0) / 1000000))}"
bench_stop
