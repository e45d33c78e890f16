#!/usr/bin/env bash
# Runs every libFuzzer harness (tests/fuzz/fuzz_*.c) for a bounded time, each over a scratch
# copy of its seed corpus (tests/fuzz/corpus/<harness>/, plus the fixed regressions in
# tests/fuzz/regressions/<harness>/), so the committed corpus never grows. Builds first
# (tests/fuzz/build.sh; incremental). Crash, leak, UBSan, timeout and out-of-memory inputs go to
# tests/fuzz/findings/<harness>/ (ignored by git). Exits non-zero when any harness failed.
#
# Usage: tests/fuzz/run.sh [seconds per harness, default 30] [harness ...]
#   harness names without the fuzz_ prefix (query, entity, ...); default: all of them.
#   FUZZ_JOBS=2 runs two harnesses at once (default 1); FUZZ_ARGS adds libFuzzer flags;
#   FUZZ_BUILD_DIR=<dir> builds and runs from <dir> instead of build-fuzz.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}
shift || true
jobs=${FUZZ_JOBS:-1}

scratch=$(mktemp -d /tmp/articled-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

if ! bash tests/fuzz/build.sh >"$scratch/build.log" 2>&1; then
    cat "$scratch/build.log" >&2
    echo "fuzz: build failed" >&2
    exit 1
fi

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        harnesses+=("${name#fuzz_}")
    done
fi

dict_of() {
    case "$1" in
    article_json) echo tests/fuzz/article_json.dict ;;
    query) echo tests/fuzz/query.dict ;;
    cursor) echo tests/fuzz/cursor.dict ;;
    textnorm | entity) echo tests/fuzz/text.dict ;;
    http) echo tests/fuzz/http.dict ;;
    esac
}

# libFuzzer flags of one harness. fuzz_http: the service's threads allocate and free across
# inputs, so the per-input leak check would scan often (half the speed) and could blame an
# input for another's memory; leaks still fail the run, from ASan's check at exit (after the
# service's clean shutdown).
flags_of() {
    case "$1" in
    http) echo -detect_leaks=0 ;;
    esac
}

# Runs one harness; writes its summary line to $scratch/<h>.summary, its log to <h>.log.
run_one() {
    local h=$1 bin="${FUZZ_BUILD_DIR:-build-fuzz}/fuzz/fuzz_$1" corpus="$scratch/$1.corpus" dict
    local findings="tests/fuzz/findings/$1" log="$scratch/$1.log" start=$SECONDS rc
    mkdir -p "$corpus" "$findings"
    rm -f "$findings/last-failure.log"
    if [ ! -x "$bin" ]; then
        echo "fuzz_$h: FAILED: no harness $bin" >"$scratch/$h.summary"
        return
    fi
    [ -d "tests/fuzz/corpus/$h" ] && cp tests/fuzz/corpus/"$h"/* "$corpus"/ 2>/dev/null
    # fixed findings join the seeds; open ones (regressions/<h>/open/) would fail every run
    find "tests/fuzz/regressions/$h" -maxdepth 1 -type f -exec cp {} "$corpus"/ \; 2>/dev/null
    dict=$(dict_of "$h")
    # TMPDIR: a harness's own temporary files (fuzz_http's database) go with the scratch folder
    TMPDIR="$scratch" ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$findings/" ${dict:+-dict="$dict"} $(flags_of "$h") ${FUZZ_ARGS:-} \
        "$corpus" >"$log" 2>&1
    rc=$?
    local execs cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 |
        sed -n 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\).*/\1 \2/p')
    if [ $rc -eq 0 ]; then
        echo "fuzz_$h: ok, ${execs:-?} executions in $((SECONDS - start)) s, ${cov:-cov: ?}" \
            >"$scratch/$h.summary"
    else
        {
            echo "fuzz_$h: FAILED (exit $rc) after ${execs:-?} executions in $((SECONDS - start)) s"
            grep -E 'ERROR|SUMMARY|invariant broken|runtime error|Test unit written' "$log" |
                head -20 | sed 's/^/    /'
        } >"$scratch/$h.summary"
        cp "$log" "$findings/last-failure.log"
    fi
}

running=0
for h in "${harnesses[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$h" &
    running=$((running + 1))
done
wait

passed=0
failed=0
for h in "${harnesses[@]}"; do
    cat "$scratch/$h.summary"
    if grep -q '^fuzz_[a-z_]*: ok' "$scratch/$h.summary"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
