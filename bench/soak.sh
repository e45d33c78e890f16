#!/usr/bin/env bash
# bench/soak.sh: a bounded soak of articled (see bench/README.md, "Soak"). Not for CI.
#
# Starts articled on a temp DB (127.0.0.1, port 0, --search-rate 0), pre-loads N synthetic
# articles through _bulk, then for M minutes runs three steady streams at once:
#   search   bench/loadgen --mode search at a fixed concurrency (default 8), corpusgen queries
#   writer   one connection, paced per 1 s tick: single POSTs and one small _bulk of new
#            articles (corpusgen --first, so ids are new), PUT replacements of live ids and
#            DELETEs of the oldest pre-loaded ids (curl, keep-alive, one curl per tick)
#   lookups  one connection, per tick: GET /v1/articles/{id}/duplicates, GET /v1/entities
#            (rotating filters) and GET /v1/articles/{id} of live ids
# Every interval (default 10 s) prints one JSON line: VmRSS/VmHWM, threads, open fds,
# DB/WAL size, per-kind request counts, non-2xx and socket errors, p50/p99 for searches,
# single-article writes, _bulk and lookups, and the load average. Then a summary with three
# verdicts: no errors; flat RSS (least-squares slope over the last 3/4 of the run below
# --rss-slope MB/min, default 1); no latency drift (p99 of the last 3 intervals / first 3,
# median each, below 2, for searches and writes; the single first/last interval ratio is
# printed too). Finally SIGTERM, and articled must exit 0 within 60 s.
#
#   bench/soak.sh                          # 10 minutes, 20,000 articles pre-loaded
#   bench/soak.sh --minutes 2 --preload 5000
#   bench/soak.sh --bin build/articled     # soak a given binary (bench tools built alone)
#
# Loopback only; every loop is bounded by the time limit and a count; an EXIT trap stops
# articled and removes the temp dir. Exit status: 0 when all three verdicts pass, 1 when one
# fails, 2 on a setup failure.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/soak.sh [--minutes M] [--preload N] [--bin PATH] [--concurrency C]
                     [--interval S] [--seed S] [--data DIR] [--out DIR] [--keep]
                     [--rss-slope MB_PER_MIN] [--articled-flags "..."]
  --minutes M       steady mixed load for M minutes (default 10)
  --preload N       articles loaded through _bulk before the soak (default 20000)
  --bin PATH        soak this articled binary (default: build build-soak, Release)
  --concurrency C   searches in flight (default 8)
  --interval S      sampling interval in seconds (default 10)
  --seed S          corpus and query seed (default 42)
  --data DIR        real corpora for corpusgen (default ../shared/data/news)
  --out DIR         where soak.jsonl and the server log go (default bench/out/soak-<date>)
  --keep            keep the temp dir (corpus, database, per-interval logs)
  --rss-slope X     flat-RSS criterion in MB/min (default 1)
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=10
PRELOAD=20000
BIN=""
CONC=8
INTERVAL=10
SEED=42
DATA="$ROOT/../shared/data/news"
OUT=""
KEEP=0
RSS_SLOPE_MAX=1
ARTICLED_FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --preload) PRELOAD="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --concurrency) CONC="$2"; shift 2 ;;
    --interval) INTERVAL="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --rss-slope) RSS_SLOPE_MAX="$2"; shift 2 ;;
    --articled-flags) ARTICLED_FLAGS="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in MINUTES PRELOAD CONC INTERVAL SEED; do
    case "${!v}" in '' | *[!0-9]*) echo "soak: --${v,,} wants a whole number" >&2; exit 2 ;; esac
done
[ "$MINUTES" -ge 1 ] && [ "$PRELOAD" -ge 1000 ] && [ "$CONC" -ge 1 ] && [ "$INTERVAL" -ge 2 ] ||
    { echo "soak: need --minutes >= 1, --preload >= 1000, --concurrency >= 1, --interval >= 2" >&2; exit 2; }

# Per 1 s tick of the writer: POSTS single POSTs + one _bulk of BULK new articles, PUTS
# replacements, DEL deletes of the oldest pre-loaded ids (at most half of them over the run,
# so the ids that PUTs and look-ups pick from are always live). Per tick of the look-ups:
# DUPS duplicate look-ups, one entity listing, one article GET.
POSTS=8
BULK=16
PUTS=2
DUPS=4
NEW=$((POSTS + BULK))
INTERVALS=$((MINUTES * 60 / INTERVAL))
TPI=$INTERVAL # ticks per interval (1 s ticks)
TICKS=$((INTERVALS * TPI))
DEL=$((PRELOAD / 2 / TICKS))
[ "$DEL" -le "$NEW" ] || DEL=$NEW
TIME_LIMIT=$((MINUTES * 60 + 900)) # whole script: soak + build/generate/pre-load/stop slack
DEADLINE=$((SECONDS + TIME_LIMIT))

[ -n "$OUT" ] || OUT="$ROOT/bench/out/soak-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RESULTS="$OUT/soak.jsonl"
: >"$RESULTS"
say() { echo "soak: $*" >&2; }
emit() { echo "$1" | tee -a "$RESULTS"; }
left() { echo $((DEADLINE - SECONDS)); }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

WORK=$(mktemp -d /tmp/articled-soak.XXXXXX)
PID=""
BGPIDS=()
cleanup() {
    set +e
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID"
        for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$PID" 2>/dev/null
    fi
    [ -f "$WORK/articled.log" ] && gzip -c "$WORK/articled.log" >"$OUT/articled.log.gz" 2>/dev/null
    if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ----
cd "$ROOT"
if [ -z "$BIN" ]; then
    say "building (build-soak, Release): articled corpusgen loadgen"
    cmake -S . -B build-soak -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        timeout 1200 cmake --build build-soak -j"$(nproc)" --target articled corpusgen loadgen >>"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/build.log" >&2; say "build failed (log: $OUT/build.log)"; exit 2; }
    BIN="$ROOT/build-soak/articled"
    TOOLS="$ROOT/build-soak/bench"
else
    say "building the bench tools alone (build-soak-tools)"
    cmake -S bench -B build-soak-tools -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        timeout 600 cmake --build build-soak-tools -j"$(nproc)" --target corpusgen loadgen >>"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/build.log" >&2; say "build failed (log: $OUT/build.log)"; exit 2; }
    TOOLS="$ROOT/build-soak-tools"
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { say "no articled binary at $BIN"; exit 2; }
command -v curl >/dev/null || { say "curl is needed"; exit 2; }
[ -d "$DATA" ] || { say "no corpora in $DATA (--data DIR)"; exit 2; }
if "$BIN" --help 2>&1 | grep -q -- '--search-rate'; then
    ARTICLED_FLAGS="--search-rate 0 $ARTICLED_FLAGS"
fi

# ---- corpus: pre-load, new articles for the writer, PUT bodies, queries ----
say "generating $PRELOAD + $((TICKS * NEW)) articles, 1000 queries (seed $SEED)"
timeout 600 "$TOOLS/corpusgen" --data "$DATA" --seed "$SEED" --n "$PRELOAD" --first 1 >"$WORK/preload.ndjson" 2>"$WORK/corpusgen.log"
timeout 600 "$TOOLS/corpusgen" --data "$DATA" --seed "$SEED" --n $((TICKS * NEW)) --first $((PRELOAD + 1)) >"$WORK/new.ndjson" 2>>"$WORK/corpusgen.log"
# PUT bodies: other articles (another seed) without their id; the URL names the target.
timeout 600 "$TOOLS/corpusgen" --data "$DATA" --seed $((SEED + 1)) --n 2000 --first 1 2>>"$WORK/corpusgen.log" |
    sed 's/^{"id":"[^"]*",/{/' >"$WORK/put.ndjson"
timeout 600 "$TOOLS/corpusgen" --data "$DATA" --seed "$SEED" --queries 1000 >"$WORK/queries.ndjson" 2>>"$WORK/corpusgen.log"
sed 's/^{"id":"\([^"]*\)".*/\1/' "$WORK/preload.ndjson" >"$WORK/preload.ids"
[ "$(wc -l <"$WORK/preload.ids")" = "$PRELOAD" ] && [ "$(wc -l <"$WORK/new.ndjson")" = $((TICKS * NEW)) ] ||
    { say "corpusgen wrote fewer articles than asked"; exit 2; }
grep -q '^gen-' "$WORK/preload.ids" || { say "unexpected corpusgen id format"; exit 2; }
mapfile -t IDS <"$WORK/preload.ids"

# ---- server ----
say "starting $BIN"
DB="$WORK/soak.db"
SETSID=()
command -v setsid >/dev/null && SETSID=(setsid)
# shellcheck disable=SC2086 # ARTICLED_FLAGS is a list of flags
"${SETSID[@]}" "$BIN" --port 0 --bind 127.0.0.1 --db "$DB" --log-format json $ARTICLED_FLAGS >"$WORK/articled.log" 2>&1 &
PID=$!
PORT=""
for _ in $(seq 150); do
    PORT=$(grep -m 1 '"msg":"listening"' "$WORK/articled.log" 2>/dev/null | sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
done
[ -n "$PORT" ] || { cat "$WORK/articled.log" >&2; say "articled did not start"; exit 2; }
[ "$(readlink -f "/proc/$PID/exe")" = "$(readlink -f "$BIN")" ] || { say "articled is not PID $PID (did setsid fork?)"; exit 2; }
URL="http://127.0.0.1:$PORT"

status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0; }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
json_num() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" <<<"$2" | head -n 1; }

emit "{\"kind\":\"meta\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"commit\":\"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"bin\":\"$BIN\",\"flags\":\"$ARTICLED_FLAGS\",\"cpus\":$(nproc),\"loadavg\":\"$(loadavg)\",\"minutes\":$MINUTES,\"interval_s\":$INTERVAL,\"preload\":$PRELOAD,\"search_concurrency\":$CONC,\"per_tick\":{\"post\":$POSTS,\"bulk_items\":$BULK,\"put\":$PUTS,\"delete\":$DEL,\"duplicates\":$DUPS,\"entities\":1,\"get\":1}}"

# ---- pre-load ----
say "pre-loading $PRELOAD articles through _bulk"
L=$(timeout --kill-after=10 900 "$TOOLS/loadgen" --url "$URL" --mode bulk --file "$WORK/preload.ndjson" \
    --batch 5000 --concurrency 2 --duration 840 --timeout 600 --label preload 2>"$WORK/loadgen_preload.log") ||
    { cat "$WORK/loadgen_preload.log" >&2; say "pre-load failed"; exit 2; }
emit "${L%\}},\"vmrss_kb\":$(status_kb VmRSS),\"vmhwm_kb\":$(status_kb VmHWM)}"
[ "$(json_num articles "$L")" = "$PRELOAD" ] && [ "$(json_num non2xx "$L")" = 0 ] ||
    { say "pre-load stored $(json_num articles "$L") of $PRELOAD"; exit 2; }

# ---- the streams ----
# live_id T: a random pre-loaded id that the writer will not have deleted by tick T + 5.
live_id() {
    local lo=$((($1 + 5) * DEL)) r=$(((RANDOM << 15) | RANDOM))
    echo "${IDS[$((lo + r % (PRELOAD - lo)))]}"
}
# group URL KIND [curl config lines...]: one transfer of a curl config, timed by curl.
group() {
    printf 'url = "%s"\nsilent\noutput = "/dev/null"\nmax-time = 60\nwrite-out = "%s %%{http_code} %%{time_total}\\n"\n' "$1" "$2"
    shift 2
    printf '%s\n' "$@"
    echo next
}
# writer_tick T DIR: the writes of global tick T, one curl process, one connection.
writer_tick() {
    local t=$1 d=$2 f j id
    rm -f "$d"/p.* "$d/cfg"
    sed -n "$((t * NEW + 1)),$((t * NEW + NEW))p" "$WORK/new.ndjson" >"$d/new"
    head -n "$POSTS" "$d/new" | split -l 1 -a 3 - "$d/p."
    tail -n +$((POSTS + 1)) "$d/new" >"$d/bulk"
    {
        for f in "$d"/p.*; do
            group "$URL/v1/articles" post 'header = "Content-Type: application/json"' "data-binary = \"@$f\""
        done
        group "$URL/v1/articles/_bulk" bulk 'header = "Content-Type: application/x-ndjson"' \
            "data-binary = \"@$d/bulk\"" | sed "s|^output = .*|output = \"$d/bulk.resp\"|"
        for ((j = 0; j < PUTS; j++)); do
            id=$(live_id "$t")
            sed -n "$(((t * PUTS + j) % 2000 + 1))p" "$WORK/put.ndjson" >"$d/put.$j"
            group "$URL/v1/articles/$id" put 'request = "PUT"' 'header = "Content-Type: application/json"' "data-binary = \"@$d/put.$j\""
        done
        for ((j = t * DEL; j < (t + 1) * DEL; j++)); do
            group "$URL/v1/articles/${IDS[$j]}" delete 'request = "DELETE"'
        done
    } >"$d/cfg"
    : >"$d/bulk.resp"
    timeout --kill-after=5 60 curl -K "$d/cfg" 2>>"$d/curl.err" || true
    # bulk items that were not stored: "bulk_items OK FAILED"
    echo "bulk_items $(grep -o '"written": *[0-9]*' "$d/bulk.resp" | grep -o '[0-9]*$' || echo 0) $(grep -o '"failed": *[0-9]*' "$d/bulk.resp" | grep -o '[0-9]*$' || echo "$BULK")"
}
ENT_QUERIES=("limit=20" "type=person&limit=20" "type=organization&limit=50" "type=location&limit=20" "q=a&limit=20" "q=mar&limit=10")
lookup_tick() {
    local t=$1 d=$2 j
    {
        for ((j = 0; j < DUPS; j++)); do
            group "$URL/v1/articles/$(live_id "$t")/duplicates" duplicates
        done
        group "$URL/v1/entities?${ENT_QUERIES[$((t % ${#ENT_QUERIES[@]}))]}" entities
        group "$URL/v1/articles/$(live_id "$t")" get
    } >"$d/lcfg"
    timeout --kill-after=5 60 curl -K "$d/lcfg" 2>>"$d/curl.err" || true
}
# paced LOOP K DIR: runs LOOP's ticks of interval K, tick j at the interval's start + j s;
# no tick starts more than 30 s late (a stalled server cannot stretch the interval for long).
paced() {
    local fn=$1 k=$2 d=$3 start j wait_us
    mkdir -p "$d"
    start=$(now_us)
    for ((j = 0; j < TPI; j++)); do
        wait_us=$((start + j * 1000000 - $(now_us)))
        [ "$wait_us" -gt -30000000 ] || break
        [ "$wait_us" -le 0 ] || sleep "$(printf '%d.%06d' $((wait_us / 1000000)) $((wait_us % 1000000)))"
        "$fn" $((k * TPI + j)) "$d"
    done
}

# stats KIND...: "n non2xx socket p50_ms p99_ms" over the curl lines of those kinds (stdin);
# nearest-rank percentiles (mawk has no asort: sort does the sorting).
stats() {
    awk -v kinds=" $* " 'index(kinds, " " $1 " ") { printf "%s %.3f\n", $2, $3 * 1000 }' |
        sort -k2,2 -g |
        awk '{ n++; v[n] = $2; if ($1 == "000") sock++; else if ($1 + 0 < 200 || $1 + 0 > 299) bad++ }
            END {
                if (n == 0) { print "0 0 0 0 0"; exit }
                i50 = int(n * 0.50); if (i50 < n * 0.50) i50++; if (i50 < 1) i50 = 1
                i99 = int(n * 0.99); if (i99 < n * 0.99) i99++; if (i99 < 1) i99 = 1
                printf "%d %d %d %.2f %.2f\n", n, bad + 0, sock + 0, v[i50], v[i99]
            }'
}

say "$INTERVALS intervals of ${INTERVAL}s; search c=$CONC; writer $POSTS POST + _bulk of $BULK + $PUTS PUT + $DEL DELETE a second; look-ups $DUPS duplicates + 1 entities + 1 GET a second"
TSV="$WORK/intervals.tsv"
: >"$TSV"
RSS0=$(status_kb VmRSS)
T0=$(now_us)
for ((k = 0; k < INTERVALS; k++)); do
    if [ "$(left)" -le $((INTERVAL + 60)) ]; then
        say "time limit reached after $k intervals"
        break
    fi
    ks=$(now_us)
    timeout --kill-after=5 $((INTERVAL + 60)) "$TOOLS/loadgen" --url "$URL" --mode search --file "$WORK/queries.ndjson" \
        --concurrency "$CONC" --requests 1000000000 --duration "$INTERVAL" --timeout 30 --label search \
        >"$WORK/search.out" 2>"$WORK/search.err" &
    sp=$!
    paced writer_tick "$k" "$WORK/w" >"$WORK/w.log" &
    wp=$!
    paced lookup_tick "$k" "$WORK/l" >"$WORK/l.log" &
    lp=$!
    BGPIDS=("$sp" "$wp" "$lp")
    wait "$sp" || true
    wait "$wp" || true
    wait "$lp" || true
    BGPIDS=()
    ke=$(now_us)
    secs=$(awk -v a="$ks" -v b="$ke" 'BEGIN{printf "%.2f", (b - a) / 1e6}')
    tmin=$(awk -v a="$T0" -v b="$ke" 'BEGIN{printf "%.3f", (b - a) / 6e7}')
    S=$(cat "$WORK/search.out" 2>/dev/null || true)
    [ -n "$S" ] || S='{"requests":0,"non2xx":0,"transport_errors":1,"p50_ms":0,"p99_ms":0}'
    s_n=$(json_num requests "$S"); s_bad=$(json_num non2xx "$S"); s_sock=$(json_num transport_errors "$S")
    s_p50=$(json_num p50_ms "$S"); s_p99=$(json_num p99_ms "$S")
    read -r w_n w_bad w_sock w_p50 w_p99 < <(stats post put delete <"$WORK/w.log")
    read -r b_n b_bad b_sock b_p50 b_p99 < <(stats bulk <"$WORK/w.log")
    read -r l_n l_bad l_sock l_p50 l_p99 < <(stats duplicates entities get <"$WORK/l.log")
    read -r bi_ok bi_fail < <(awk '$1 == "bulk_items" {o += $2; f += $3} END {print o + 0, f + 0}' "$WORK/w.log")
    cnt() { awk -v k="$1" '$1 == k' "$2" | wc -l; }
    n_post=$(cnt post "$WORK/w.log"); n_put=$(cnt put "$WORK/w.log"); n_del=$(cnt delete "$WORK/w.log")
    n_dup=$(cnt duplicates "$WORK/l.log"); n_ent=$(cnt entities "$WORK/l.log"); n_get=$(cnt get "$WORK/l.log")
    rss=$(status_kb VmRSS); hwm=$(status_kb VmHWM); thr=$(status_kb Threads)
    fds=$(ls "/proc/$PID/fd" 2>/dev/null | wc -l)
    dbb=$(fsize "$DB"); walb=$(fsize "$DB-wal")
    alive=1; kill -0 "$PID" 2>/dev/null || alive=0
    errs=$((s_bad + s_sock + w_bad + w_sock + b_bad + b_sock + l_bad + l_sock + bi_fail))
    emit "{\"kind\":\"interval\",\"i\":$((k + 1)),\"t_min\":$tmin,\"seconds\":$secs,\"loadavg\":\"$(loadavg)\",\"vmrss_kb\":$rss,\"vmhwm_kb\":$hwm,\"threads\":$thr,\"fds\":$fds,\"db_bytes\":$dbb,\"wal_bytes\":$walb,\"search\":{\"n\":$s_n,\"non2xx\":$s_bad,\"socket\":$s_sock,\"p50_ms\":$s_p50,\"p99_ms\":$s_p99},\"write\":{\"n\":$w_n,\"post\":$n_post,\"put\":$n_put,\"delete\":$n_del,\"non2xx\":$w_bad,\"socket\":$w_sock,\"p50_ms\":$w_p50,\"p99_ms\":$w_p99},\"bulk\":{\"n\":$b_n,\"items_ok\":$bi_ok,\"item_errors\":$bi_fail,\"non2xx\":$b_bad,\"socket\":$b_sock,\"p50_ms\":$b_p50,\"p99_ms\":$b_p99},\"lookup\":{\"n\":$l_n,\"duplicates\":$n_dup,\"entities\":$n_ent,\"get\":$n_get,\"non2xx\":$l_bad,\"socket\":$l_sock,\"p50_ms\":$l_p50,\"p99_ms\":$l_p99},\"errors\":$errs}"
    printf '%s\n' "$((k + 1)) $tmin $rss $hwm $s_n $s_p50 $s_p99 $w_n $w_p50 $w_p99 $b_n $bi_ok $n_post $n_put $n_del $n_dup $n_ent $n_get $l_p50 $l_p99 $errs $s_bad $s_sock $((w_bad + b_bad + l_bad + bi_fail)) $((w_sock + b_sock + l_sock)) $dbb $walb $fds $thr" >>"$TSV"
    # keep the first failures' details
    if [ "$errs" -gt 0 ]; then
        { echo "== interval $((k + 1))"; cat "$WORK/search.err"; awk '$2 !~ /^2/' "$WORK/w.log" "$WORK/l.log"; cat "$WORK"/w/curl.err "$WORK"/l/curl.err 2>/dev/null; } >>"$OUT/errors.log"
    fi
    rm -f "$WORK"/w/curl.err "$WORK"/l/curl.err
    [ "$alive" = 1 ] || { say "articled died"; break; }
done

# ---- stop ----
HWM_END=$(status_kb VmHWM)
STATUS=0
if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$PID" 2>/dev/null; then
        say "articled still running 60 s after SIGTERM"
        kill -KILL "$PID"
    fi
fi
wait "$PID" || STATUS=$?
PID=""
ERRLINES=$(grep -c -E '"level":"(error|fatal)"' "$WORK/articled.log" || true)
# the server's own count of non-2xx answers (its access log), beside the clients' count
LOG_NON2XX=$(grep '"msg":"access"' "$WORK/articled.log" | grep -c -v '"status":2' || true)

# ---- summary ----
SUMMARY=$(awk -v slope_max="$RSS_SLOPE_MAX" -v status="$STATUS" -v rss0="$RSS0" -v hwm="$HWM_END" \
    -v la="$(loadavg)" -v logerr="$ERRLINES" -v lognon2xx="$LOG_NON2XX" '
    function med3(a, b, c) { return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)) }
    { n++; for (f = 1; f <= NF; f++) x[n, f] = $f }
    END {
        if (n == 0) { print "{\"kind\":\"summary\",\"intervals\":0}"; exit }
        for (i = 1; i <= n; i++) {
            S += x[i,5]; W += x[i,8]; B += x[i,11]; BI += x[i,12]; P += x[i,13]; U += x[i,14]; D += x[i,15]
            DU += x[i,16]; EN += x[i,17]; G += x[i,18]; E += x[i,21]; NS += x[i,22]; SS += x[i,23]
            NW += x[i,24]; SW += x[i,25]
        }
        # RSS slope (MB/min), least squares over the last 3/4 of the intervals
        from = int(n / 4) + 1; if (n - from < 1) from = 1
        for (i = from; i <= n; i++) { m++; sx += x[i,2]; sy += x[i,3] / 1024; sxx += x[i,2] ^ 2; sxy += x[i,2] * x[i,3] / 1024 }
        den = m * sxx - sx * sx
        slope = den > 0 ? (m * sxy - sx * sy) / den : 0
        # drift: last / first interval, and median of the last 3 / median of the first 3
        k = n >= 3 ? 3 : n
        sf = k == 3 ? med3(x[1,7], x[2,7], x[3,7]) : x[1,7]; sl = k == 3 ? med3(x[n,7], x[n-1,7], x[n-2,7]) : x[n,7]
        wf = k == 3 ? med3(x[1,10], x[2,10], x[3,10]) : x[1,10]; wl = k == 3 ? med3(x[n,10], x[n-1,10], x[n-2,10]) : x[n,10]
        sdr = sf > 0 ? sl / sf : 0; wdr = wf > 0 ? wl / wf : 0
        ok_err = (E == 0 && status == 0 && logerr == 0 && lognon2xx == 0)
        ok_rss = (slope < slope_max)
        ok_lat = (sdr < 2 && wdr < 2)
        s1 = x[1,7] > 0 ? x[n,7] / x[1,7] : 0; w1 = x[1,10] > 0 ? x[n,10] / x[1,10] : 0
        printf "{\"kind\":\"summary\",\"intervals\":%d,\"minutes\":%.2f,\"loadavg_end\":\"%s\",", n, x[n,2], la
        printf "\"requests\":{\"search\":%d,\"post\":%d,\"bulk\":%d,\"bulk_articles\":%d,\"put\":%d,\"delete\":%d,\"duplicates\":%d,\"entities\":%d,\"get\":%d,\"total\":%d},", S, P, B, BI, U, D, DU, EN, G, S + W + B + DU + EN + G
        printf "\"errors\":{\"search_non2xx\":%d,\"search_socket\":%d,\"other_non2xx\":%d,\"other_socket\":%d,\"server_log_errors\":%d,\"server_log_non2xx\":%d,\"exit_status\":%d},", NS, SS, NW, SW, logerr, lognon2xx, status
        printf "\"rss_kb\":{\"after_preload\":%d,\"first_interval\":%d,\"last_interval\":%d,\"hwm_end\":%d,\"slope_mb_per_min\":%.3f,\"slope_from_min\":%.2f},", rss0, x[1,3], x[n,3], hwm, slope, x[from,2]
        printf "\"db_bytes\":{\"first\":%d,\"last\":%d},\"wal_bytes_last\":%d,\"fds\":{\"first\":%d,\"last\":%d},\"threads\":{\"first\":%d,\"last\":%d},", x[1,26], x[n,26], x[n,27], x[1,28], x[n,28], x[1,29], x[n,29]
        printf "\"search_ms\":{\"first\":{\"p50\":%s,\"p99\":%s},\"last\":{\"p50\":%s,\"p99\":%s},\"p99_drift_last_first\":%.2f,\"p99_drift_med3\":%.2f},", x[1,6], x[1,7], x[n,6], x[n,7], s1, sdr
        printf "\"write_ms\":{\"first\":{\"p50\":%s,\"p99\":%s},\"last\":{\"p50\":%s,\"p99\":%s},\"p99_drift_last_first\":%.2f,\"p99_drift_med3\":%.2f},", x[1,9], x[1,10], x[n,9], x[n,10], w1, wdr
        printf "\"verdict\":{\"no_errors\":%s,\"flat_rss\":%s,\"no_latency_drift\":%s}}\n", ok_err ? "true" : "false", ok_rss ? "true" : "false", ok_lat ? "true" : "false"
        printf "VERDICT no errors: %s (non-2xx %d, socket errors %d, bulk item errors incl., server log: %d error lines, %d non-2xx access lines; exit status %d after SIGTERM)\n", ok_err ? "PASS" : "FAIL", NS + NW, SS + SW, logerr, lognon2xx, status
        printf "VERDICT flat RSS: %s (slope %.3f MB/min over the last 3/4 from minute %.2f, criterion < %s MB/min; RSS %.1f MB after pre-load, %.1f MB after interval 1, %.1f MB at the end, peak %.1f MB)\n", ok_rss ? "PASS" : "FAIL", slope, x[from,2], slope_max, rss0 / 1024, x[1,3] / 1024, x[n,3] / 1024, hwm / 1024
        printf "VERDICT no latency drift: %s (p99 median of last 3 / first 3 intervals: search %.2f, writes %.2f, criterion < 2; single last/first: search %.2f, writes %.2f)\n", ok_lat ? "PASS" : "FAIL", sdr, wdr, s1, w1
        exit !(ok_err && ok_rss && ok_lat)
    }' "$TSV") && RC=0 || RC=1
emit "$(head -n 1 <<<"$SUMMARY")"
tail -n +2 <<<"$SUMMARY" | tee -a "$OUT/verdict.txt"
say "results: $RESULTS"
exit "$RC"
