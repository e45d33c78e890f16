#!/usr/bin/env bash
# bench/multisearch.sh: ten searches as one POST /v1/search/_multi against the same ten as
# single GET /v1/search requests (issue 20: multi-search of 10 queries <= 1.2x the sum of the
# 10 single searches' server time).
#
# A fresh articled (loopback, free port, fresh database, the answer cache off: every search
# runs) is loaded with the first --articles lines of the real news of ../shared/data/news
# (BBC + Reuters-21578; or --corpus FILE) as `_bulk` requests of 1,000 lines. Then --rounds
# rounds, each: the 10 queries as 10 GETs on one keep-alive connection, and the same 10 as one
# _multi, in alternating order (odd rounds singles first). Server time is measured two ways:
# the CPU time the server's threads spent (the sum of /proc/PID/task/*/schedstat's run time,
# in nanoseconds, around each batch: what the searches cost, whatever else the machine runs),
# and the access log's `us` of each request (from the request's arrival to the answer's
# queueing: on a busy machine mostly the wait for a core at each hand-off between the HTTP and
# the read threads). The client's wall time on loopback (curl's time_total) is beside them.
# The queries change every round (a round's own word in each, from a list of common news
# words), so no two rounds ask the same thing, and they cover the planner's shapes: words,
# phrase, OR, prefix, source, newest, a window, collapse, entity, cards narrowed by fields.
# JSON lines: one per round ({"op":"round",...}), then the medians and their ratio
# ({"op":"ratio","name":"multi_vs_singles",...}). Bounded: --rounds rounds, each request under
# curl's --max-time 30.
#
#   bench/multisearch.sh --bin build-release/articled
#   bench/multisearch.sh --bin build-release/articled --articles 21068 --rounds 100
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
BIN=""
CORPUS=""
ARTICLES=21068
ROUNDS=60
FLAGS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --articles) ARTICLES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --articled-flags) FLAGS="$2"; shift 2 ;;
    *) echo "usage: bench/multisearch.sh [--bin PATH] [--corpus FILE] [--articles 21068]" \
            "[--rounds 60] [--articled-flags \"...\"]" >&2; exit 2 ;;
    esac
done

bench_build "$ROOT"
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }
TMP=$(mktemp -d)
cleanup() {
    [ -n "$BENCH_PID" ] && kill -KILL "$BENCH_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

DATA="$ROOT/../shared/data/news"
if [ -z "$CORPUS" ]; then
    [ -f "$DATA/bbc.ndjson" ] || { echo "no $DATA: give --corpus FILE" >&2; exit 2; }
    CORPUS="$TMP/corpus.ndjson"
    { cat "$DATA/bbc.ndjson" "$DATA/reuters21578.ndjson" || true; } | head -n "$ARTICLES" >"$CORPUS"
fi

# shellcheck disable=SC2086
bench_start "$BIN" "$TMP/m.db" "$TMP/server.log" --access-log on --search-cache 0 $FLAGS
URL="http://127.0.0.1:$BENCH_PORT"
split -l 1000 "$CORPUS" "$TMP/part."
for part in "$TMP"/part.*; do
    curl -sS --max-time 600 -o /dev/null -X POST -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$part" "$URL/v1/articles/_bulk"
done
STORED=$(curl -sS "$URL/readyz" | sed -n 's/.*"articles":\([0-9]*\).*/\1/p')
# the most mentioned entity, for the entity query
ENTITY=$(curl -sS "$URL/v1/entities?limit=1" |
    python3 -c 'import json,sys; e=json.load(sys.stdin)["entities"]; print(e[0]["id"] if e else "")')

# The rounds: python3 writes each round's URLs and _multi body, curl sends them, and the
# access log says what the server spent.
python3 - "$URL" "$ROUNDS" "$TMP" "$ENTITY" "$STORED" "$BENCH_PID" <<'EOF'
import json, os, re, statistics, subprocess, sys, urllib.parse

url, rounds, tmp, entity, stored, pid = (sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                         sys.argv[5], sys.argv[6])
log = os.path.join(tmp, "server.log")
words = ("market bank oil trade government minister prices company shares growth election "
         "court police film music sales profit rates talks report dollar tax budget plan "
         "strike export results deal world war").split()

def queries(w):
    q = [{"q": w}, {"q": '"%s said"' % w}, {"q": "%s OR economy" % w}, {"q": w[:3] + "*"},
         {"q": w, "source": "Reuters"}, {"q": w, "sort": "newest"},
         {"q": w, "from": "1987-03-01", "to": "1987-04-01"},
         {"q": w, "duplicates": "collapse"}, {"q": w + " year"},
         {"q": w, "fields": "id,title,url,entities", "limit": 50}]
    if entity:
        q[8] = {"q": w, "entity": entity}
    return q

def access_tail(pos):
    """The access lines after byte pos: [(method, path, us)], new pos."""
    with open(log, "rb") as f:
        f.seek(pos)
        data = f.read()
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        if '"msg":"access"' not in line:
            continue
        try:
            j = json.loads(line)
        except ValueError:
            continue
        out.append((j.get("method"), j.get("path"), j.get("status"), int(j.get("us", 0))))
    return out, pos + len(data)

def cpu_ns():
    """Nanoseconds the server's threads have run (schedstat's first field, summed)."""
    total = 0
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total

def singles(qs):
    args = ["curl", "-sS", "--max-time", "30", "-w", "%{http_code} %{time_total}\n"]
    for q in qs:
        args += ["-o", "/dev/null", url + "/v1/search?" + urllib.parse.urlencode(q)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split("\n")
    rows = [l.split() for l in out if l.strip()]
    return [int(r[0]) for r in rows], sum(float(r[1]) for r in rows)

def multi(qs):
    body = json.dumps({"queries": [{k: str(v) for k, v in q.items()} for q in qs]})
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-o", os.path.join(tmp, "multi.json"),
                          "-w", "%{http_code} %{time_total}", "-X", "POST", "-H",
                          "Content-Type: application/json", "--data-binary", body,
                          url + "/v1/search/_multi"], check=True, capture_output=True,
                         text=True).stdout.split()
    with open(os.path.join(tmp, "multi.json")) as f:
        res = json.load(f)["results"]
    bad = sum(1 for r in res if "status" in r)
    return int(out[0]), float(out[1]), bad

pos = os.path.getsize(log)
s_us, m_us, s_wall, m_wall, s_cpu, m_cpu, ratios = [], [], [], [], [], [], []
for r in range(1, rounds + 1):
    qs = queries(words[(r - 1) % len(words)] if r <= len(words) else
                 words[(r - 1) % len(words)] + " " + words[(r * 7) % len(words)])
    order = ("s", "m") if r % 2 else ("m", "s")
    for what in order:
        c0 = cpu_ns()
        if what == "s":
            codes, wall_s = singles(qs)
            cpu_s = cpu_ns() - c0
        else:
            code_m, wall_m, bad = multi(qs)
            cpu_m = cpu_ns() - c0
    lines, pos = access_tail(pos)
    su = sum(us for m, p, st, us in lines if p == "/v1/search")
    mu = sum(us for m, p, st, us in lines if p == "/v1/search/_multi")
    ns = sum(1 for m, p, st, us in lines if p == "/v1/search")
    if ns != len(qs) or any(c != 200 for c in codes) or code_m != 200 or bad:
        print(json.dumps({"system": "articled", "op": "round", "round": r, "error":
                          "statuses %s multi %d bad slots %d, %d access lines"
                          % (codes, code_m, bad, ns)}))
        continue
    s_us.append(su); m_us.append(mu); s_wall.append(wall_s); m_wall.append(wall_m)
    s_cpu.append(cpu_s / 1000); m_cpu.append(cpu_m / 1000)
    ratios.append(cpu_m / cpu_s if cpu_s else 0)
    print(json.dumps({"system": "articled", "op": "round", "round": r, "first": order[0],
                      "singles_cpu_us": round(cpu_s / 1000), "multi_cpu_us": round(cpu_m / 1000),
                      "singles_server_us": su, "multi_server_us": mu,
                      "singles_wall_ms": round(wall_s * 1000, 2),
                      "multi_wall_ms": round(wall_m * 1000, 2),
                      "cpu_ratio": round(cpu_m / cpu_s, 3) if cpu_s else None}), flush=True)

if s_us:
    print(json.dumps({"system": "report", "op": "ratio", "name": "multi_vs_singles",
                      "articles": int(stored or 0), "rounds": len(s_us), "queries": 10,
                      "median_singles_cpu_us": round(statistics.median(s_cpu)),
                      "median_multi_cpu_us": round(statistics.median(m_cpu)),
                      "value": round(statistics.median(m_cpu) / statistics.median(s_cpu), 3),
                      "median_round_cpu_ratio": round(statistics.median(ratios), 3),
                      "median_singles_server_us": statistics.median(s_us),
                      "median_multi_server_us": statistics.median(m_us),
                      "access_log_ratio": round(statistics.median(m_us) / statistics.median(s_us), 3),
                      "median_singles_wall_ms": round(statistics.median(s_wall) * 1000, 2),
                      "median_multi_wall_ms": round(statistics.median(m_wall) * 1000, 2),
                      "target": 1.2}))
EOF
bench_stop
