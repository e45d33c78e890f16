#!/usr/bin/env bash
# bench/attack_rss.sh: articled's memory under the body-trickling attack of issue 16 (finding 2).
#
# Starts articled on an empty temp database (loopback, free port, --max-connections raised so
# every attack connection is let in), then opens --conns connections that each send the headers
# of `POST /v1/articles` (a route that takes a body; no key configured) with Content-Length:
# 8388608, and as many that send `POST /nope` the same way; each then trickles --trickle bytes
# of body over --trickle-seconds and stalls, until --duration seconds after the start. VmRSS and
# VmHWM are sampled from /proc every 0.2 s before, during and --after seconds after the
# attack, and /healthz is asked twice a second throughout. Prints JSON lines: the client's
# count of answers per kind and status (503 with "limit":"body-memory" counted apart), then the
# RSS figures. Needs python3 (the client); without it, says so in one line and exits 0.
#
#   bench/attack_rss.sh                          1,024 + 1,024 connections, 4 KiB each, 60 s
#   bench/attack_rss.sh --trickle 1048576        1 MiB each: past --max-body-memory (256 MiB)
#   bench/attack_rss.sh --bin old/articled       a baseline binary (stopped past --rss-guard)
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/attack_rss.sh [--bin PATH] [--conns N] [--trickle BYTES] [--trickle-seconds S]
                           [--duration S] [--after S] [--rss-guard MB] [--build-dir DIR]
                           [--articled-flags "..."]
  --bin PATH          this articled binary (default: build <build-dir>/articled, Release)
  --conns N           connections of each kind, POST /v1/articles and POST /nope (default 1024)
  --trickle BYTES     body bytes each connection sends before it stalls (default 4096)
  --trickle-seconds S over how long those bytes go out (default 10)
  --duration S        the attack's length; every connection is closed after it (default 60)
  --late N            after the trickle, N more POST /v1/articles connections with the
                      same headers (answered at once when bodies already fill the cap; default 64)
  --rounds R          the attack R times in a row on the same server (default 1)
  --after S           RSS sampled this long after the attack (default 10)
  --rss-guard MB      stop the attack when the server's RSS passes this (default 4096)
  --build-dir DIR     where to build articled without --bin (default build-bench)
  --articled-flags "..."  extra flags for articled (e.g. "--max-body-memory 64M")
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=""
CONNS=1024
TRICKLE=4096
TRICKLE_S=10
DURATION=60
AFTER=10
LATE=64
ROUNDS=1
GUARD_MB=4096
BUILD="$ROOT/build-bench"
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --conns) CONNS="$2"; shift 2 ;;
    --trickle) TRICKLE="$2"; shift 2 ;;
    --trickle-seconds) TRICKLE_S="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --after) AFTER="$2"; shift 2 ;;
    --late) LATE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --rss-guard) GUARD_MB="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench/attack_rss.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in CONNS TRICKLE TRICKLE_S DURATION AFTER GUARD_MB LATE ROUNDS; do
    case "${!v}" in '' | *[!0-9]*) echo "bench/attack_rss.sh: $v wants a whole number" >&2; exit 2 ;; esac
done
if ! command -v python3 >/dev/null 2>&1; then
    echo "bench/attack_rss.sh: skipped, needs python3 (the attack client)"
    exit 0
fi
say() { echo "attack_rss: $*" >&2; }

case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
if [ -z "$BIN" ]; then
    say "building articled ($BUILD, Release)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
        cmake --build "$BUILD" -j"$(nproc)" --target articled >/dev/null ||
        { say "build failed"; exit 1; }
    BIN="$BUILD/articled"
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { say "no articled binary at $BIN"; exit 1; }

# 2 x CONNS sockets on each side, plus the server's own files
NEED=$((2 * CONNS + LATE + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED" ]; then
    ulimit -n "$NEED" 2>/dev/null || { say "ulimit -n $NEED refused (hard limit $(ulimit -Hn))"; exit 1; }
fi

TMP=$(mktemp -d)
PID=""
SAMPLER=""
HZLOOP=""
CLIENT=""
cleanup() {
    for p in "$CLIENT" "$HZLOOP" "$SAMPLER"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The attack client: plain sockets and one selector, no third-party modules.
cat >"$TMP/attack.py" <<'EOF'
import json, selectors, socket, sys, time

port, conns, trickle, trickle_s, duration, late = (int(a) for a in sys.argv[1:7])
CL = 8388608
kinds = ("POST /v1/articles", "POST /nope", "late POST /v1/articles")
sel = selectors.DefaultSelector()
st = {k: {"opened": 0, "connect_errors": 0, "answers": {}, "body_memory_503": 0,
          "closed_unanswered": 0, "reset": 0, "open_at_end": 0, "body_bytes_sent": 0}
      for k in kinds}
t0 = time.monotonic()
live = []


class Conn:
    def __init__(self, kind, s):
        self.kind, self.s, self.sent, self.buf, self.status, self.done = kind, s, 0, b"", None, False


def finish(c, how):
    if c.done:
        return
    c.done = True
    k = st[c.kind]
    if c.status is None:
        k["reset" if how == "reset" else "closed_unanswered"] += 1
    try:
        sel.unregister(c.s)
    except Exception:
        pass
    c.s.close()


def on_read(c):
    try:
        data = c.s.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        finish(c, "reset")
        return
    except BlockingIOError:
        return
    if not data:
        finish(c, "closed")
        return
    c.buf += data[:4096]
    if c.status is None and b"\r\n" in c.buf:
        parts = c.buf.split(b" ", 2)
        c.status = parts[1].decode() if len(parts) > 1 else "?"
        k = st[c.kind]
        k["answers"][c.status] = k["answers"].get(c.status, 0) + 1
    if c.status == "503" and b"body-memory" in c.buf and not getattr(c, "counted", False):
        c.counted = True
        st[c.kind]["body_memory_503"] += 1


def pump(timeout):
    for key, _ in sel.select(timeout):
        on_read(key.data)


def connect(kind):
    path = kind.split(" ")[-1]
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (path, CL)).encode())
        s.setblocking(False)
    except OSError:
        st[kind]["connect_errors"] += 1
        return
    c = Conn(kind, s)
    st[kind]["opened"] += 1
    sel.register(s, selectors.EVENT_READ, c)
    live.append(c)


# connect, interleaving the two kinds, and send the headers
for i in range(2 * conns):
    connect(kinds[i % 2])
    if i % 64 == 63:
        pump(0)
t_open = time.monotonic() - t0

# trickle: the bytes spread over trickle_s in 0.1 s ticks, then stall
ticks = max(1, int(trickle_s * 10))
per_tick = -(-trickle // ticks)
chunk = b"{" + b"a" * (per_tick - 1) if per_tick > 1 else b"{"
for _ in range(ticks):
    tick_end = time.monotonic() + 0.1
    for c in live:
        if c.done or c.sent >= trickle:
            continue
        piece = chunk[: min(per_tick, trickle - c.sent)]
        try:
            n = c.s.send(piece)
            c.sent += n
            st[c.kind]["body_bytes_sent"] += n
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            finish(c, "reset")
    while time.monotonic() < tick_end:
        pump(max(0.0, tick_end - time.monotonic()))
t_trickled = time.monotonic() - t0

# late comers, once the bodies have come: headers only
for i in range(late):
    connect(kinds[2])

# stall until the end, reading whatever the server answers
end = t0 + duration
while time.monotonic() < end:
    pump(min(0.5, max(0.0, end - time.monotonic())))
for c in live:
    if not c.done:
        st[c.kind]["open_at_end"] += 1
        c.done = True
        c.s.close()
print(json.dumps({"op": "attack", "conns_per_kind": conns, "content_length": CL,
                  "trickle_bytes": trickle, "trickle_seconds": trickle_s,
                  "opened_s": round(t_open, 2), "trickled_s": round(t_trickled, 2),
                  "kinds": st}, separators=(",", ":")))
EOF

setsid "$BIN" --port 0 --bind 127.0.0.1 --db "$TMP/attack.db" --log-format json \
    --access-log off --max-connections $((2 * CONNS + LATE + 64)) $FLAGS >"$TMP/server.log" 2>&1 &
PID=$!
PORT=""
for _ in $(seq 150); do
    PORT=$(grep -m 1 '"msg":"listening"' "$TMP/server.log" 2>/dev/null |
        sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$PORT" ] && curl -sf -m 5 "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
done
[ -n "$PORT" ] || { say "articled did not start"; tail -n 20 "$TMP/server.log" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
# the cap in force: the flag's value when given, else the binary's default (none: a baseline)
MAXMEM=$(sed -n 's/.*--max-body-memory[ =]\([^ ]*\).*/\1/p' <<<"$FLAGS")
[ -n "$MAXMEM" ] || MAXMEM=$("$BIN" --help 2>&1 |
    sed -n '/--max-body-memory/,/default/s/.*default \([^ ]*\)$/\1/p' | head -n 1)

# seconds since the start, VmRSS and VmHWM (kB), every 0.2 s
T0=$(date +%s.%N)
(while kill -0 "$PID" 2>/dev/null; do
    awk -v t0="$T0" -v now="$(date +%s.%N)" '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2}
        END {printf "%.1f %d %d\n", now - t0, r, h}' "/proc/$PID/status" 2>/dev/null || true
    sleep 0.2
done) >"$TMP/rss" &
SAMPLER=$!
sleep 3 # the baseline: the idle server

# /healthz twice a second: status and ms
(while kill -0 "$PID" 2>/dev/null; do
    curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "$URL/healthz" || true
    sleep 0.5
done) >"$TMP/healthz" &
HZLOOP=$!

say "attack: $CONNS x POST /v1/articles + $CONNS x POST /nope, Content-Length 8388608," \
    "$TRICKLE bytes each over $TRICKLE_S s, then stalled; $LATE late; $DURATION s; $ROUNDS round(s)"
now_s() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN{printf "%.1f", now - t0}'; }
GUARDED=0
MARKS=""
for r in $(seq "$ROUNDS"); do
    MARKS+="$(now_s) "
    python3 "$TMP/attack.py" "$PORT" "$CONNS" "$TRICKLE" "$TRICKLE_S" "$DURATION" "$LATE" \
        >"$TMP/attack.$r.json" &
    CLIENT=$!
    while kill -0 "$CLIENT" 2>/dev/null; do
        R=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
        if [ "${R:-0}" -gt $((GUARD_MB * 1024)) ]; then
            say "server RSS ${R} kB passed --rss-guard $GUARD_MB MB: attack stopped"
            GUARDED=1
            kill "$CLIENT" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    wait "$CLIENT" 2>/dev/null || true
    CLIENT=""
    if [ -s "$TMP/attack.$r.json" ]; then
        jq -c --argjson r "$r" '. + {round: $r}' "$TMP/attack.$r.json" 2>/dev/null || cat "$TMP/attack.$r.json"
    else
        echo "{\"op\":\"attack\",\"round\":$r,\"error\":\"the client printed nothing (stopped by the guard or failed)\"}"
    fi
    [ "$GUARDED" = 1 ] && break
done
END_MARK=$(now_s)
sleep "$AFTER"
kill "$HZLOOP" 2>/dev/null || true
HZLOOP=""
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=""
ALIVE=true
kill -0 "$PID" 2>/dev/null || ALIVE=false

# the figures: baseline = the last sample before the attack; the peak of each round (the
# largest sample from its start to the next round's); after = the last sample, --after
# seconds after the attack
awk -v marks="$MARKS" -v endm="$END_MARK" -v guarded="$GUARDED" -v alive="$ALIVE" -v bin="$BIN" \
    -v maxmem="${MAXMEM:-}" -v flags="$FLAGS" '
    BEGIN { nr = split(marks, m, " "); m[nr + 1] = endm }
    $1 < m[1] { base = $2 }
    {
        for (i = 1; i <= nr; i++)
            if ($1 >= m[i] && (i < nr ? $1 < m[i + 1] : 1) && $2 > pk[i]) pk[i] = $2
        last = $2; hwm = $3
    }
    END {
        printf "{\"op\":\"attack_rss\",\"bin\":\"%s\",\"flags\":\"%s\",\"max_body_memory\":\"%s\",", bin, flags, maxmem
        peak = 0; rounds = ""
        for (i = 1; i <= nr; i++) { rounds = rounds (i > 1 ? "," : "") pk[i] + 0; if (pk[i] > peak) peak = pk[i] }
        printf "\"baseline_rss_kb\":%d,\"peak_rss_kb\":%d,\"peak_rss_kb_by_round\":[%s],", base, peak, rounds
        printf "\"vmhwm_kb\":%d,\"after_rss_kb\":%d,", hwm, last
        printf "\"guard_stopped\":%s,\"server_alive\":%s}\n", guarded ? "true" : "false", alive
    }' "$TMP/rss"
sort -k2 -g "$TMP/healthz" | awk '
    { n++; if ($1 != "200") bad++; v[n] = $2 * 1000 }
    END {
        i = int(n * 0.99 + 0.999); if (i < 1) i = 1
        printf "{\"op\":\"healthz_during\",\"requests\":%d,\"non200\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f}\n", n, bad + 0, v[int((n + 1) / 2)], v[i], v[n]
    }'
