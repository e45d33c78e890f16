#!/usr/bin/env bash
# tests/browser/run.sh: the desk page (desk/) in a real browser. Debian's
# chromium (/usr/bin/chromium, or $CHROMIUM) driven by playwright-core and
# checked by axe-core, both from npm, pinned in package-lock.json and
# installed into tests/browser/node_modules (nothing downloads a browser).
# Starts two servers on free ports from ARTICLED_BIN (an open one and one with
# a key file), runs the journeys of desk.test.mjs and leaves screenshots and
# timings.json in ARTICLED_BROWSER_OUT (default: browser/ beside the binary).
# Exit status: 0 passed, 1 failed, 77 skipped (no chromium, no node, or a
# chromium that cannot start: one line says why). Bounded: each wait in the
# script is 15 s at most (starting chromium 60 s), the whole run ARTICLED_BROWSER_TIMEOUT s (300).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath -m "${ARTICLED_BIN:-$root/build/articled}")
out=$(realpath -m "${ARTICLED_BROWSER_OUT:-$(dirname "$bin")/browser}")
chromium=${CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d "${TMPDIR:-/tmp}/articled-browser.XXXXXX")
pids=()

# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "browser: skipped ($*)"; exit 77; }
[ -x "$bin" ] || { echo "browser: no binary at $bin (set ARTICLED_BIN)" >&2; exit 1; }
{ command -v node && command -v npm; } >/dev/null || skip "node and npm are not installed"
[ -x "$chromium" ] || skip "no chromium at $chromium (apt-get install chromium)"
timeout 20 "$chromium" --version >/dev/null 2>&1 || skip "$chromium --version fails"
# (whether it starts headless is the script's first step: it exits 77 with the reason when not)

# the npm tools, installed again when package-lock.json changed (as tests/contract does)
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ] ||
    [ "$(cat "$here/node_modules/.articled-lock" 2>/dev/null)" != "$lock_sum" ]; then
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund \
        --loglevel=error >"$work/npm.log" 2>&1) ||
        { cat "$work/npm.log" >&2; echo "browser: npm ci failed in $here" >&2; exit 1; }
    echo "$lock_sum" >"$here/node_modules/.articled-lock"
fi

# start NAME ARGS...: a server on a free port; sets port_NAME.
start() {
    local name=$1 port=""
    shift
    "$bin" --port 0 --db "$work/$name.db" --log-format json "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        port=$(grep -o '"port":[0-9]*' "$work/$name.log" | head -n 1 | cut -d: -f2)
        [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        port=""
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/$name.log" >&2; echo "browser: $name did not start" >&2; exit 1; }
    printf -v "port_$name" '%s' "$port"
}

read_key=desk-read-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
write_key=desk-write-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s read desk\n%s write loader\n' "$read_key" "$write_key" >"$work/keys"
chmod 600 "$work/keys"
start open --access-log off
start keyed --access-log off --api-key-file "$work/keys"
mkdir -p "$out"

# shellcheck disable=SC2154 # port_open and port_keyed are set by printf -v
DESK_URL=http://127.0.0.1:$port_open DESK_KEYED_URL=http://127.0.0.1:$port_keyed \
    DESK_READ_KEY=$read_key DESK_WRITE_KEY=$write_key DESK_OUT=$out CHROMIUM=$chromium \
    timeout "${ARTICLED_BROWSER_TIMEOUT:-300}" node "$here/desk.test.mjs"
rc=$?
[ "$rc" -eq 124 ] && echo "browser: timed out after ${ARTICLED_BROWSER_TIMEOUT:-300} s" >&2
exit "$rc"
