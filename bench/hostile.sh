#!/usr/bin/env bash
# bench/hostile.sh: the worst search shapes we could build within the query language's limits
# (issue 16), each timed a few times at c=1 with curl, then /healthz latency while six hostile
# searches run at once (more than --search-threads).
#
# Builds articled (or takes --bin), generates N corpusgen articles (seed 42), loads them with
# `loadgen --mode bulk` into a temp database (or into --db, kept, and reused when it already
# holds articles: the 1,000,000-article database is loaded once), starts articled on loopback
# with `--search-rate 0 --search-cache 0` (every repeat is computed, not served from the
# answer cache) and prints one JSON line per shape (status, ms min/median/max, total), one for
# /healthz idle and under load, then a markdown table. Every curl has -m (--max-time), no
# shape starts after --time-limit, and an EXIT trap stops the server.
#
#   bench/hostile.sh                                   100,000 articles
#   bench/hostile.sh --n 1000000 --db /tmp/x/h1m.db    the big run; the database is kept
#   bench/hostile.sh --bin old/articled --max-time 60  a baseline binary (no search timeout)
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/hostile.sh [--n N] [--bin PATH] [--db PATH] [--corpus FILE] [--seed S]
                        [--repeat R] [--max-time S] [--time-limit S] [--pages P]
                        [--healthz N] [--hostile C] [--out DIR] [--build-dir DIR]
                        [--articled-flags "..."]
  --n N           articles to generate and load (default 100000)
  --bin PATH      this articled binary (only the bench tools are built, in <build-dir>-tools)
  --db PATH       database to use and keep; when it exists and holds articles it is not loaded
  --corpus FILE   NDJSON articles to load instead of generating them (its first N lines)
  --repeat R      runs of each shape (default 3); a shape that times out is not repeated
  --max-time S    curl -m for each request (default 30)
  --time-limit S  no shape starts after S seconds (default 3600; the load is not counted)
  --pages P       pages walked by the deep-paging shapes (default 50)
  --healthz N     /healthz requests under load (default 200, one every 50 ms)
  --hostile C     hostile searches at once during the /healthz sample (default 6)
  --shapes REGEX  run only the shapes whose name matches (bash regex; default all)
  --healthz-shape NAME  the shape run during the /healthz sample (default: the slowest run
                  that was not refused)
  --out DIR       hostile.jsonl, hostile.md and the server log (default bench/out/hostile-<date>-n<N>)
  --build-dir DIR where to build (default build-bench, as bench/run)
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100000
BIN=""
DB=""
CORPUS=""
SEED=42
REPEAT=3
MAXT=30
TIME_LIMIT=3600
PAGES=50
HZ_N=200
HOSTILE_C=6
OUT=""
BUILD="$ROOT/build-bench"
FLAGS=""
SHAPES="."
HZ_SHAPE=""
while [ $# -gt 0 ]; do
    case "$1" in
    --n) N="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --db) DB="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --max-time) MAXT="$2"; shift 2 ;;
    --time-limit) TIME_LIMIT="$2"; shift 2 ;;
    --pages) PAGES="$2"; shift 2 ;;
    --healthz) HZ_N="$2"; shift 2 ;;
    --hostile) HOSTILE_C="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    --shapes) SHAPES="$2"; shift 2 ;;
    --healthz-shape) HZ_SHAPE="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench/hostile.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in N REPEAT MAXT TIME_LIMIT PAGES HZ_N HOSTILE_C SEED; do
    case "${!v}" in '' | *[!0-9]*) echo "bench/hostile.sh: --${v,,} wants a number" >&2; exit 2 ;; esac
done
command -v jq >/dev/null || { echo "bench/hostile.sh needs jq (apt-get install jq)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench/hostile.sh needs curl" >&2; exit 2; }

say() { echo "hostile: $*" >&2; }
[ -n "$OUT" ] || OUT="$ROOT/bench/out/hostile-$(date -u +%Y%m%dT%H%M%SZ)-n$N"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
JSONL="$OUT/hostile.jsonl"
: >"$JSONL"
emit() { echo "$1" | tee -a "$JSONL"; }

# ---- build ----
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
if [ -z "$BIN" ]; then
    say "building articled and the bench tools ($BUILD, Release)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        cmake --build "$BUILD" -j"$(nproc)" --target articled corpusgen loadgen >>"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/build.log" >&2; say "build failed"; exit 1; }
    BIN="$BUILD/articled"
    TOOLS="$BUILD/bench"
else
    TOOLS="$BUILD-tools"
    say "building the bench tools alone ($TOOLS)"
    cmake -S "$ROOT/bench" -B "$TOOLS" -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        cmake --build "$TOOLS" -j"$(nproc)" --target corpusgen loadgen >>"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/build.log" >&2; say "build failed"; exit 1; }
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { say "no articled binary at $BIN"; exit 1; }

TMP=$(mktemp -d)
PID=""
LOOPS=()
cleanup() {
    for p in ${LOOPS[@]+"${LOOPS[@]}"}; do kill "$p" 2>/dev/null || true; done
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    cp "$TMP/server.log" "$OUT/server.log" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- server ----
# Only flags this binary knows (a baseline may predate some).
SFLAGS=()
HELP=$("$BIN" --help 2>&1 || true)
for f in --search-rate --search-cache; do
    if grep -q -- "$f" <<<"$HELP"; then SFLAGS+=("$f" 0); fi
done
# shellcheck disable=SC2206 # FLAGS is a list of flags
SFLAGS+=($FLAGS)
start_server() { # start_server DB
    unset ARTICLED_TEST_READ_DELAY_MS
    setsid "$BIN" --port 0 --bind 127.0.0.1 --db "$1" --log-format json "${SFLAGS[@]}" \
        >>"$TMP/server.log" 2>&1 &
    PID=$!
    PORT=""
    for _ in $(seq 300); do
        PORT=$(grep '"msg":"listening"' "$TMP/server.log" 2>/dev/null | tail -n 1 |
            sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
        URL="http://127.0.0.1:$PORT"
        [ -n "$PORT" ] && curl -sf -m 5 "$URL/healthz" >/dev/null && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.2
    done
    say "articled did not start"
    tail -n 20 "$TMP/server.log" >&2
    exit 1
}
stop_server() {
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
}
articles() {
    local n
    n=$(curl -s -m 10 "$URL/readyz" | jq -r '.articles // 0' 2>/dev/null || true)
    echo "${n:-0}"
}

KEEP_DB=1
if [ -z "$DB" ]; then
    DB="$TMP/hostile.db"
    KEEP_DB=0
fi
LOADED=""
if [ -s "$DB" ]; then
    say "reusing $DB"
    start_server "$DB"
else
    if [ -z "$CORPUS" ]; then
        say "generating $N articles (seed $SEED)"
        CORPUS="$TMP/corpus.ndjson"
        "$TOOLS/corpusgen" --data "$ROOT/../shared/data/news" --n "$N" --seed "$SEED" \
            >"$CORPUS" 2>"$OUT/corpusgen.log" || { say "corpusgen failed"; exit 1; }
    elif [ "$(wc -l <"$CORPUS")" -gt "$N" ]; then
        head -n "$N" "$CORPUS" >"$TMP/corpus.ndjson"
        CORPUS="$TMP/corpus.ndjson"
    fi
    start_server "$DB"
    say "loading $(wc -l <"$CORPUS") articles (_bulk, 10,000 lines a request, two in flight)"
    LOADED=$("$TOOLS/loadgen" --url "$URL" --mode bulk --file "$CORPUS" --batch 10000 \
        --concurrency 2 --duration 7200 --timeout 600 2>"$OUT/loadgen_bulk.log") ||
        { say "loadgen bulk failed"; exit 1; }
    [ "$CORPUS" = "$TMP/corpus.ndjson" ] && rm -f "$CORPUS"
    # a fresh start, as after a restart: the bulk load's caches and checkpoints are behind it
    stop_server
    start_server "$DB"
fi
NART=$(articles)
[ "$NART" -gt 0 ] || { say "the server at $URL holds no articles (or does not answer /readyz)"; exit 1; }
# the commit of the tree the binary was built in (a baseline built in a worktree: that one's)
BIN_COMMIT=$(git -C "$(dirname "$BIN")" rev-parse --short HEAD 2>/dev/null || echo unknown)
DEADLINE=$((SECONDS + TIME_LIMIT))
emit "$(jq -nc --arg commit "$BIN_COMMIT" \
    --arg bin "$BIN" --arg db "$([ "$KEEP_DB" = 1 ] && echo "$DB" || echo temp)" \
    --arg flags "${SFLAGS[*]}" --arg version "$("$BIN" --version 2>&1 | head -n 1)" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson n "$NART" --argjson maxt "$MAXT" --argjson repeat "$REPEAT" \
    '{op:"meta",date:$date,commit:$commit,bin:$bin,version:$version,flags:$flags,db:$db,
      articles:$n,max_time_s:$maxt,repeat:$repeat,loadavg:$load,cpus:'"$(nproc)"'}')"
[ -n "$LOADED" ] && emit "$LOADED"

# ---- measuring ----
# A shape must not run beside the leftovers of the one before (a baseline keeps computing
# a search whose client gave up): wait until the server's CPU time stops moving (at most
# 10 minutes).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat" 2>/dev/null || echo 0; }
quiesce() {
    local a b t0=$SECONDS
    while [ $((SECONDS - t0)) -lt 600 ]; do
        a=$(cpu_ticks)
        sleep 1
        b=$(cpu_ticks)
        [ $((b - a)) -le 5 ] && break
    done
    [ $((SECONDS - t0)) -gt 2 ] && say "waited $((SECONDS - t0)) s for the server to go idle"
    return 0
}

# req PATH_AND_QUERY_ARGS...: one GET with curl; prints "status ms body_file" (status
# "timeout" when curl gave up).
req() {
    local path="$1" out code rc
    shift
    out="$TMP/body"
    rc=0
    code=$(curl -s -G -m "$MAXT" -o "$out" -w '%{http_code} %{time_total}' "$URL$path" "$@") || rc=$?
    if [ "$rc" = 28 ]; then
        echo "timeout $(awk -v t="$MAXT" 'BEGIN{printf "%.1f", t * 1000}')"
    else
        awk '{printf "%s %.1f\n", ($1 == "000" ? "error" : $1), $2 * 1000}' <<<"$code"
    fi
}
# args_of PARAMS: curl --data-urlencode arguments for "k=v&k=v" (values taken literally)
args_of() {
    local kv kvs
    IFS='&' read -r -a kvs <<<"$1"
    for kv in ${kvs[@]+"${kvs[@]}"}; do [ -n "$kv" ] && printf '%s\0' --data-urlencode "$kv"; done
    return 0
}
# stats MS...: "min median max" (nearest rank)
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{printf "%s %s %s\n", v[1], v[int((NR+1)/2)], v[NR]}'; }

TABLE="$TMP/table"
: >"$TABLE"
row() { # row SHAPE Q PARAMS STATUS MIN MED MAX TOTAL
    local q="$2"
    [ ${#q} -gt 70 ] && q="${q:0:67}… (${#2} B)"
    q=${q//|/\\|}
    printf '| %s | `%s` | %s | %s | %s | %s | %s | %s |\n' "$1" "$q" "${3:--}" "$4" "$5" "$6" "$7" \
        "$8" >>"$TABLE"
}

# every shape's q and params, run or not (for --healthz-shape)
declare -A SHAPE_Q SHAPE_P
# shape NAME Q PARAMS: REPEAT runs of GET /v1/search?q=Q&PARAMS.
shape() {
    local name="$1" q="$2" params="$3" st ms total="" limit="" statuses=() times=() args=()
    SHAPE_Q[$name]=$q
    SHAPE_P[$name]=$params
    [[ "$name" =~ $SHAPES ]] || return 0
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        say "time limit reached, skipping $name"
        return 0
    fi
    quiesce
    mapfile -d '' args < <(args_of "$params")
    for _ in $(seq "$REPEAT"); do
        read -r st ms < <(req /v1/search --data-urlencode "q=$q" "${args[@]}")
        statuses+=("$st")
        times+=("$ms")
        if [ "$st" = 200 ] && [ -z "$total" ]; then
            total=$(jq -r '.total // empty' "$TMP/body" 2>/dev/null || true)
        fi
        if [ "$st" = 503 ] || [ "$st" = 429 ]; then
            limit=$(jq -r '.limit // empty' "$TMP/body" 2>/dev/null || true)
        fi
        # a 400 says why, up to its first colon
        [ "$st" = 400 ] && [ -z "$limit" ] && limit=$(jq -r '.detail // empty' "$TMP/body" 2>/dev/null | sed 's/:.*//' | cut -c1-60)
        # a request that ran past -m is not repeated: the server may still be on it
        [ "$st" = timeout ] && break
    done
    local s
    s=$(printf '%s\n' "${statuses[@]}" | sort -u | paste -sd/)
    read -r mn md mx < <(stats "${times[@]}")
    emit "$(jq -nc --arg shape "$name" --arg q "$q" --arg params "$params" --arg status "$s" \
        --arg limit "$limit" --arg total "$total" --argjson min "$mn" \
        --argjson md "$md" --argjson max "$mx" --argjson runs "${#times[@]}" \
        --argjson qbytes "${#q}" \
        '{op:"shape",shape:$shape,q:$q,q_bytes:$qbytes,params:$params,status:$status,runs:$runs,
          ms_min:$min,ms_median:$md,ms_max:$max,total:($total|tonumber? // null)}
         | if $limit != "" then .note = $limit else . end')"
    row "$name" "$q" "$params" "$s${limit:+ ($limit)}" "$mn" "$md" "$mx" "${total:--}"
    echo "$md $s $name" >>"$TMP/medians"
}

# walk NAME Q PARAMS: PAGES pages of one search, each page's next_cursor fetching the next.
walk() {
    local name="$1" q="$2" params="$3" st ms cursor="" total="" n=0 times=() statuses=() args=()
    [[ "$name" =~ $SHAPES ]] || return 0
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        say "time limit reached, skipping $name"
        return 0
    fi
    quiesce
    mapfile -d '' args < <(args_of "$params")
    while [ "$n" -lt "$PAGES" ]; do
        if [ -z "$cursor" ]; then
            read -r st ms < <(req /v1/search --data-urlencode "q=$q" "${args[@]}")
        else
            read -r st ms < <(req /v1/search --data-urlencode "q=$q" "${args[@]}" --data-urlencode "cursor=$cursor")
        fi
        n=$((n + 1))
        times+=("$ms")
        statuses+=("$st")
        [ "$st" = 200 ] || break
        [ -z "$total" ] && total=$(jq -r '.total // empty' "$TMP/body" 2>/dev/null || true)
        cursor=$(jq -r '.next_cursor // empty' "$TMP/body" 2>/dev/null || true)
        [ -n "$cursor" ] || break
    done
    local s sum
    s=$(printf '%s\n' "${statuses[@]}" | sort -u | paste -sd/)
    sum=$(printf '%s\n' "${times[@]}" | awk '{s+=$1} END{printf "%.1f", s}')
    read -r mn md mx < <(stats "${times[@]}")
    emit "$(jq -nc --arg shape "$name" --arg q "$q" --arg params "$params" --arg status "$s" \
        --arg total "$total" --argjson pages "$n" --argjson sum "$sum" --argjson min "$mn" \
        --argjson md "$md" --argjson max "$mx" \
        '{op:"walk",shape:$shape,q:$q,params:$params,status:$status,pages:$pages,walk_ms:$sum,
          ms_min:$min,ms_median:$md,ms_max:$max,total:($total|tonumber? // null)}')"
    row "$name" "$q" "$params; $n pages, $sum ms in all" "$s" "$mn" "$md" "$mx" "${total:--}"
}

# ---- the shapes ----
W32=(the of to and in a said s for it on is that be with will by from was dlrs at its mln pct
    has he year an as would company but)
join_by() { local d="$1" out="$2"; shift 2; for w in "$@"; do out+="$d$w"; done; echo "$out"; }
OR32=$(join_by " OR " "${W32[@]}")
AND32="${W32[*]}"
OR8=$(join_by " OR " "${W32[@]:0:8}")
# the 2-letter prefixes that start the most postings and the most distinct words here
P4OR="th* OR in* OR co* OR re*"
P4AND="th* in* co* re*"
P4EXCL="$P4OR $(printf -- '-%s ' "${W32[@]:0:28}")"
P4EXCL=${P4EXCL% }
# a phrase of one very common word, as long as q may be (1,024 bytes)
THE254="\"the$(printf ' the%.0s' $(seq 253))\""
# 32 phrases of six common words each, OR'ed, up to 1,024 bytes
LONGQ=""
for i in $(seq 0 31); do
    p="\"${W32[i]} ${W32[(i + 1) % 32]} ${W32[(i + 2) % 32]} ${W32[(i + 3) % 32]} ${W32[(i + 4) % 32]} ${W32[(i + 5) % 32]}\""
    cand="${LONGQ:+$LONGQ OR }$p"
    [ ${#cand} -le 1024 ] || break
    LONGQ=$cand
done
# the issue's finding: 32 one-letter prefixes
OLD32="a*"
for c in {b..z} {0..5}; do OLD32+=" OR $c*"; done
# the most mentioned entity
ENTITY=$(curl -s -m "$MAXT" "$URL/v1/entities?limit=1" | jq -r '.entities[0].id // empty' 2>/dev/null || true)
FROM=2025-06-01T00:00:00Z
TO=2025-06-01T06:00:00Z
NEWEST="sort=newest&limit=100"
REL="limit=100"

say "$NART articles; shapes at c=1, $REPEAT runs each, curl -m $MAXT"
shape p4_or_newest "$P4OR" "$NEWEST"
shape p4_or_relevance "$P4OR" "$REL"
shape p4_and_newest "$P4AND" "$NEWEST"
shape p4_excl28_newest "$P4EXCL" "$NEWEST"
shape p4_excl28_relevance "$P4EXCL" "$REL"
shape or8_newest "$OR8" "$NEWEST"
shape or32_relevance "$OR32" "$REL"
shape or32_newest "$OR32" "$NEWEST"
shape and32_relevance "$AND32" "$REL"
shape and32_newest "$AND32" "$NEWEST"
shape phrase_of_the_relevance '"of the"' "$REL"
shape phrase_of_the_newest '"of the"' "$NEWEST"
shape phrase_the_x254_relevance "$THE254" "$REL"
shape phrase_the_x254_newest "$THE254" "$NEWEST"
shape phrases32_1kb_relevance "$LONGQ" "$REL"
shape phrases32_1kb_newest "$LONGQ" "$NEWEST"
shape collapse_said_relevance said "duplicates=collapse&$REL"
shape collapse_said_newest said "duplicates=collapse&$NEWEST"
if [ -n "$ENTITY" ]; then
    shape entity_the_relevance the "entity=$ENTITY&$REL"
    shape entity_the_newest the "entity=$ENTITY&$NEWEST"
fi
shape source_p4_relevance "$P4OR" "source=Reuters&$REL"
shape source_p4_newest "$P4OR" "source=Reuters&$NEWEST"
shape window6h_the_relevance the "from=$FROM&to=$TO&$REL"
shape window6h_the_newest the "from=$FROM&to=$TO&$NEWEST"
shape old_32_prefixes_newest "$OLD32" "$NEWEST"
shape old_s_newest 's*' "$NEWEST"
shape old_ab_newest 'ab*' "$NEWEST"
walk deep_pages_said_relevance said "$REL"
walk deep_pages_said_newest said "$NEWEST"

# ---- /healthz, idle and under load ----
# hz COUNT LABEL: COUNT /healthz requests, one every 50 ms, at most 120 s in all.
hz() {
    local count="$1" label="$2" t_end=$((SECONDS + 120)) st ms bad=0 n=0 times=()
    while [ "$n" -lt "$count" ] && [ "$SECONDS" -lt "$t_end" ]; do
        read -r st ms < <(req /healthz)
        n=$((n + 1))
        times+=("$ms")
        [ "$st" = 200 ] || bad=$((bad + 1))
        sleep 0.05
    done
    printf '%s\n' "${times[@]}" | sort -g | awk -v n="$n" -v bad="$bad" -v label="$label" '
        { v[NR] = $1 }
        END {
            p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i < 1) i = 1
            printf "{\"op\":\"healthz\",\"load\":\"%s\",\"requests\":%d,\"non200\":%d,", label, n, bad
            printf "\"p50_ms\":%s,\"p99_ms\":%s,\"max_ms\":%s}\n", p50, v[i], v[NR]
        }'
}
if [ "$SECONDS" -lt "$DEADLINE" ]; then
    quiesce
    IDLE=$(hz 50 idle)
    emit "$IDLE"
    # the slowest shape this server accepted (not a 400), six at once, over and over
    HNAME=$HZ_SHAPE
    if [ -z "$HNAME" ] && [ -s "$TMP/medians" ]; then
        read -r _ _ HNAME < <(grep -v -E '^[^ ]+ (400|404|error) ' "$TMP/medians" | sort -g -r | head -n 1 || true)
    fi
    HNAME=${HNAME:-or32_newest}
    [ -n "${SHAPE_Q[$HNAME]+x}" ] || { say "no shape named $HNAME"; exit 2; }
    HQ=${SHAPE_Q[$HNAME]}
    HP=${SHAPE_P[$HNAME]}
    mapfile -d '' HARGS < <(args_of "$HP")
    say "/healthz while $HOSTILE_C x $HNAME run"
    : >"$TMP/hostile_runs"
    LOOP_END=$((SECONDS + 130))
    for _ in $(seq "$HOSTILE_C"); do
        (while [ "$SECONDS" -lt "$LOOP_END" ]; do
            curl -s -G -m "$MAXT" -o /dev/null -w '%{http_code} %{time_total}\n' "$URL/v1/search" \
                --data-urlencode "q=$HQ" "${HARGS[@]}" >>"$TMP/hostile_runs" || true
        done) &
        LOOPS+=($!)
    done
    sleep 1
    LOADED_HZ=$(hz "$HZ_N" "$HOSTILE_C x $HNAME")
    for p in "${LOOPS[@]}"; do kill "$p" 2>/dev/null || true; done
    LOOPS=()
    HS=$(awk '{c[$1]++} END{for (k in c) printf "%s%s:%d", (n++ ? "," : ""), k, c[k]}' "$TMP/hostile_runs")
    emit "$(jq -c --arg s "$HS" '. + {hostile_answers: $s}' <<<"$LOADED_HZ")"
fi
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
emit "{\"op\":\"end\",\"vmhwm_kb\":${HWM:-0},\"seconds\":$SECONDS,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"

# ---- the table ----
{
    echo
    echo "$NART articles, $(basename "$BIN") at $BIN_COMMIT, c=1, $REPEAT runs a shape, curl -m $MAXT (ms: curl time_total)"
    echo
    echo "| shape | q | params | status | min ms | median ms | max ms | total |"
    echo "|---|---|---|---|---|---|---|---|"
    cat "$TABLE"
    jq -r 'select(.op == "healthz") | "\n/healthz, \(.load): \(.requests) requests, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms, non-200 \(.non200)" + (if .hostile_answers then " (hostile answers: \(.hostile_answers))" else "" end)' "$JSONL"
} | tee "$OUT/hostile.md"
say "results: $JSONL, $OUT/hostile.md"
[ "$KEEP_DB" = 1 ] && say "database kept: $DB"
exit 0
