#!/usr/bin/env bash
# bench/ingest_cost.sh: what one article costs on the write path, every feature on: ingest
# rates against the bare FTS5 engine (the physical limit) in the same run, WAL pages per
# article, and each stage's time per article.
#
# The corpus: the real news of ../shared/data/news (BBC + Reuters, 21,268 articles) by default,
# or --corpus FILE, or --synthetic N (bench/corpusgen, seed 42). The first articles but --posts
# go to a fresh articled (loopback, free port) as `_bulk` requests of 1,000 lines one after
# another, as a feed poller sends them; the last --posts as single POSTs at --concurrency. The
# bare engine (`fts5_limit`, 1,000 articles a transaction) inserts the same bulk articles.
# articled_wal_pages_total is read from /metrics after each phase (pages appended to the WAL,
# counted by the writer's WAL hook across checkpoints). JSON lines: loadgen's own `bulk` and
# `post`, fts5_limit's `ingest`, then {"op":"wal_pages","phase":...,"pages_per_article":...},
# {"op":"ratio","name":"bulk_vs_fts5"|"post_vs_fts5","value":...} and one "stage_cost" line per
# stage (microseconds per article, both phases). Bounded: each step stops after --duration.
#
#   bench/ingest_cost.sh --bin build-release/articled            # real corpora
#   bench/ingest_cost.sh --synthetic 100000 --posts 5000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNTH=0
SEED=42
CORPUS=""
BIN=""
POSTS=2000
CONC=32
DURATION=900
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --synthetic) SYNTH="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --posts) POSTS="$2"; shift 2 ;;
    --concurrency) CONC="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    *) echo "usage: bench/ingest_cost.sh [--corpus FILE | --synthetic N] [--seed S] [--bin PATH]" \
            "[--posts 2000] [--concurrency 32] [--duration S]" \
            "[--articled-flags \"...\"]" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_build "$ROOT" loadgen corpusgen fts5_limit
TMP=$(mktemp -d)
cleanup() {
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

# the physical limit first, on its own: the same bulk articles into a bare FTS5 table
"$TOOLS/fts5_limit" --db "$TMP/fts5.db" --articles "$TMP/bulk.ndjson" --batch 1000 |
    tee "$TMP/fts5.jsonl"
FTS5_RATE=$(sed -n 's/.*"op":"ingest".*"articles_per_s":\([0-9.]*\).*/\1/p' "$TMP/fts5.jsonl")
rm -f "$TMP"/fts5.db*

# shellcheck disable=SC2086
bench_start "$BIN" "$TMP/wal.db" "$TMP/server.log" $FLAGS || exit 1
PORT=$BENCH_PORT
metric() { bench_metric "$1"; }
phase() { # name articles pages_before pages_after
    awk -v p="$1" -v n="$2" -v a="$3" -v b="$4" 'BEGIN {
        printf "{\"system\":\"articled\",\"op\":\"wal_pages\",\"phase\":\"%s\",\"articles\":%d,", p, n
        printf "\"wal_pages\":%d,\"pages_per_article\":%.2f}\n", b - a, n ? (b - a) / n : 0 }'
}

W0=$(metric articled_wal_pages_total)
[ -n "$W0" ] || { echo "this articled has no articled_wal_pages_total metric" >&2; exit 1; }
A0=$(metric articled_articles)
"$TOOLS/loadgen" --url "http://127.0.0.1:$PORT" --mode bulk --file "$TMP/bulk.ndjson" --batch 1000 \
    --concurrency 1 --duration "$DURATION" | tee "$TMP/bulk.jsonl"
W1=$(metric articled_wal_pages_total)
A1=$(metric articled_articles)
"$TOOLS/loadgen" --url "http://127.0.0.1:$PORT" --mode post --file "$TMP/post.ndjson" \
    --concurrency "$CONC" --duration "$DURATION" | tee "$TMP/post.jsonl"
W2=$(metric articled_wal_pages_total)
A2=$(metric articled_articles)
phase bulk "$((A1 - A0))" "$W0" "$W1"
phase post "$((A2 - A1))" "$W1" "$W2"
rate() { sed -n 's/.*"articles_per_s":\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
for r in "bulk_vs_fts5 $(rate "$TMP/bulk.jsonl")" "post_vs_fts5 $(rate "$TMP/post.jsonl")"; do
    set -- $r
    awk -v n="$1" -v a="${2:-0}" -v f="${FTS5_RATE:-0}" 'BEGIN {
        printf "{\"system\":\"report\",\"op\":\"ratio\",\"name\":\"%s\",\"value\":%.3f}\n", n, (f > 0 ? a / f : 0) }'
done
# where the time went, both phases together: each stage's time per article it ran on
# (articled_stage_seconds_total / articled_stage_articles_total; absent in older binaries)
curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
    /^articled_stage_seconds_total\{/ { split($1, a, "\""); sec[a[2]] = $2; order[++n] = a[2] }
    /^articled_stage_articles_total\{/ { split($1, a, "\""); cnt[a[2]] = $2 }
    END { for (i = 1; i <= n; i++) { s = order[i]; if (cnt[s] > 0)
        printf "{\"system\":\"articled\",\"op\":\"stage_cost\",\"stage\":\"%s\",\"articles\":%d,\"us_per_article\":%.1f}\n", s, cnt[s], sec[s] * 1e6 / cnt[s] } }'

bench_stop
