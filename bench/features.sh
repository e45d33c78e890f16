#!/usr/bin/env bash
# bench/features.sh: what each ingest-time feature costs, measured in one run.
# Ingests the same articles through POST /v1/articles/_bulk four times, into a
# fresh database each time: no analysis, near-duplicate detection only, entity
# extraction only, everything on. Then, with everything on: two-word search
# latency and duplicate look-up latency over the stored articles. Prints JSON
# lines and the ratios (these machines are noisy; compare within one run).
#
#   bench/features.sh                          # ../shared/data/news/bbc.ndjson
#   bench/features.sh --corpus FILE.ndjson     # any NDJSON of articles
#   bench/features.sh --n 100000               # synthetic corpus from bench/corpusgen
#   bench/features.sh --bin build/articled --queries 300
#
# Bounded: every request has a timeout, the number of queries is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=../shared/data/news/bbc.ndjson
n=0
bin=""
queries=200
chunk=5000
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) corpus=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

tmp=$(mktemp -d /tmp/articled-features-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$bin" ]; then
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DARTICLED_TESTS=OFF \
        -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=ON >/dev/null
  cmake --build build-release -j"$(nproc)" --target articled corpusgen >/dev/null
  bin=build-release/articled
fi
if [ "$n" -gt 0 ]; then
  gen=$(dirname "$bin")/bench/corpusgen
  [ -x "$gen" ] || gen=build-release/bench/corpusgen
  "$gen" --n "$n" --seed 42 --data ../shared/data/news > "$tmp/corpus.ndjson"
  corpus=$tmp/corpus.ndjson
fi
[ -f "$corpus" ] || { echo "features: skipped (no corpus at $corpus)"; exit 0; }
split -l "$chunk" -d -a 4 "$corpus" "$tmp/chunk."
articles=$(grep -c . "$corpus")

start() {
  rm -f "$tmp/server.log" # an old log would give an old port before the new one truncates it
  # no search rate limit: the latency loop below would otherwise time 429s
  "$bin" --port 0 --bind 127.0.0.1 --db "$tmp/db.sqlite" --search-rate 0 "$@" \
    > "$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 500); do
    port=$(grep -so '"msg":"listening","port":[0-9]*' "$tmp/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && return 0
    sleep 0.02
  done
  echo "articled did not start" >&2
  exit 1
}

stop() {
  kill "$pid"
  wait "$pid" || true
  pid=""
}

now() { date +%s.%N; }

# ingest NAME FLAGS...: fresh database, whole corpus through _bulk
ingest() {
  local name=$1
  shift
  rm -f "$tmp"/db.sqlite*
  start "$@"
  local t0 t1 rate
  t0=$(now)
  for f in "$tmp"/chunk.*; do
    curl -sf --max-time 600 -XPOST "http://127.0.0.1:$port/v1/articles/_bulk" \
         -H 'Content-Type: application/x-ndjson' --data-binary @"$f" -o /dev/null
  done
  t1=$(now)
  rate=$(awk -v a="$articles" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", a / (t1 - t0) }')
  echo "{\"bench\":\"features\",\"op\":\"ingest\",\"config\":\"$name\",\"articles\":$articles,\"seconds\":$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.3f", t1 - t0 }'),\"articles_per_s\":$rate}"
  eval "rate_$name=$rate"
}

# latency NAME FILE_OF_PATHS: sequential GETs, percentiles of curl's time_total
# (after one untimed pass over the same paths: the first requests after a
# large ingest read cold pages)
latency() {
  local name=$1 paths=$2
  while read -r p; do
    curl -sf --max-time 30 -o /dev/null "http://127.0.0.1:$port$p" || true
  done < "$paths"
  while read -r p; do
    curl -sf --max-time 30 -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$p" ||
      echo "features: $p failed" >&2
  done < "$paths" | sort -g > "$tmp/lat.$name"
  awk -v name="$name" '{ v[NR] = $1 } END {
    p50 = v[int(NR * 0.50 + 0.5)]; p90 = v[int(NR * 0.90 + 0.5)]; p99 = v[int(NR * 0.99 + 0.5)];
    printf "{\"bench\":\"features\",\"op\":\"%s\",\"requests\":%d,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
      name, NR, p50 * 1000, p90 * 1000, p99 * 1000, v[NR] * 1000 }' "$tmp/lat.$name"
}

ingest off --duplicates off --entities off
stop
ingest duplicates --duplicates on --entities off
stop
ingest entities --duplicates off --entities on
stop
ingest all --duplicates on --entities on

# two-word queries from the corpus's own titles; ids for duplicate look-ups
# (head closes the pipes early: no pipefail here, or a large corpus fails)
set +o pipefail
grep -o '"title": *"[^"]*"' "$corpus" | sed 's/.*: *"//; s/"$//' | tr -cs 'A-Za-z' '\n' |
  awk 'length($0) > 3 { print tolower($0) }' | sort -u | shuf --random-source=<(yes) |
  head -n $((queries * 2)) | paste -d+ - - | head -n "$queries" |
  sed 's|^|/v1/search?limit=20\&q=|' > "$tmp/search.paths"
grep -o '"id": *"[^"]*"' "$corpus" | sed 's/.*: *"//; s/"$//' | shuf --random-source=<(yes) |
  head -n "$queries" | sed 's|^|/v1/articles/|; s|$|/duplicates|' > "$tmp/dup.paths"
set -o pipefail
latency search_two_words "$tmp/search.paths"
latency duplicates_lookup "$tmp/dup.paths"
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
stop
dbb=$(stat -c %s "$tmp/db.sqlite")

awk -v off="$rate_off" -v d="$rate_duplicates" -v e="$rate_entities" -v a="$rate_all" \
    -v rss="$rss" -v db="$dbb" -v n="$articles" 'BEGIN {
  printf "{\"bench\":\"features\",\"op\":\"ratios\",\"duplicates_vs_off\":%.2f,\"entities_vs_off\":%.2f,\"all_vs_off\":%.2f,\"all_vs_entities\":%.2f,\"peak_rss_kb\":%d,\"db_bytes_per_article\":%.0f}\n",
    d / off, e / off, a / off, a / e, rss, db / n }'
