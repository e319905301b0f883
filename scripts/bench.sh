#!/usr/bin/env bash
# WebSocket load comparison: runs chanx-load scenarios against one or more chat servers on loopback,
# alternating servers run by run, and prints a markdown table of medians with ratios.
#
# Usage: scripts/bench.sh [--servers raw,chanx,chat-server] [--runs N] [--scenarios a,b,..] [--quick]
#                         [--writes batched,per-frame] [--out DIR] [--port PORT]
#        scripts/bench.sh --table-only DIR [--servers ...] [--writes ...]   (re-render DIR/table.md from DIR/results.jsonl)
# --writes: the client's write modes, each scenario runs in each (default both, side by side in the
#   table): batched = one write per batch of frames, per-frame = one write per frame, as a browser.
#   idle sends one ping per connection, so it runs once, in the first mode listed.
#   raw          tools/raw-baseline (axum, no framework)
#   chanx        the Python Chanx reference peer (tools/peers/chanx/start.sh, uvloop); CHANX_PEER_DIR overrides
#   chat-server  our runtime's example binary (package chat-example)
# Scenarios: rtt1 rtt16 rtt64 pipeline fanout100 fanout100r fanout1000 idle stall (default: all).
# Results: DIR/results.jsonl (one JSON line per run) and DIR/table.md; DIR defaults to target/bench/<time>.
# Env: CARGO_TARGET_DIR (build dir), IDLE_CONNS (default 10000), CHANX_IDLE_CONNS (default IDLE_CONNS).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS="raw,chanx"
RUNS=3
SCENARIOS="rtt1,rtt16,rtt64,pipeline,fanout100,fanout100r,fanout1000,idle,stall"
WRITES="batched,per-frame"
QUICK=0
TABLE_ONLY=""
OUT=""
PORT="${BENCH_PORT:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) SERVERS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --writes) WRITES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --table-only) TABLE_ONLY="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "--runs must be a number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "--runs must be 1..20" >&2; exit 2; }
IFS=, read -r -a WRITE_LIST <<< "$WRITES"
for w in "${WRITE_LIST[@]}"; do
  case "$w" in batched|per-frame) ;; *) echo "unknown write mode: $w (batched, per-frame)" >&2; exit 2 ;; esac
done

print_table() { # results.jsonl servers write-modes
  python3 - "$1" "$2" "$3" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    r.setdefault("writes", "batched")  # results from before the write modes were batched
servers = sys.argv[2].split(",")
modes = sys.argv[3].split(",")
# One column per server and write mode, the modes of a server side by side.
series = [(s, w) for s in servers for w in modes]

def name(s, w):
    return s if len(modes) == 1 else f"{s} {w}"

def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

# (scenario key, label, path in results, higher is better)
METRICS = [
    ("rtt1", "rtt 1 conn: round trips/s", "req_per_s", True),
    ("rtt1", "rtt 1 conn: requests per server CPU-second", "req_per_server_cpu_s", True),
    ("rtt1", "rtt 1 conn: p99 ms", "latency.p99_ms", False),
    ("rtt16", "rtt 16 conns: round trips/s", "req_per_s", True),
    ("rtt16", "rtt 16 conns: requests per server CPU-second", "req_per_server_cpu_s", True),
    ("rtt16", "rtt 16 conns: p99 ms", "latency.p99_ms", False),
    ("rtt64", "rtt 64 conns: round trips/s", "req_per_s", True),
    ("rtt64", "rtt 64 conns: requests per server CPU-second", "req_per_server_cpu_s", True),
    ("rtt64", "rtt 64 conns: p99 ms", "latency.p99_ms", False),
    ("pipeline", "pipeline 16×16: requests/s", "req_per_s", True),
    ("pipeline", "pipeline 16×16: requests per server CPU-second", "req_per_server_cpu_s", True),
    ("pipeline", "pipeline 16×16: p99 ms", "latency.p99_ms", False),
    ("fanout100", "fan-out 100 members, window 16: deliveries/s", "deliveries_per_s", True),
    ("fanout100", "fan-out 100: deliveries per server CPU-second", "deliveries_per_server_cpu_s", True),
    ("fanout100", "fan-out 100: p50 ms", "latency.p50_ms", False),
    ("fanout100", "fan-out 100: p99 ms", "latency.p99_ms", False),
    ("fanout100", "fan-out 100: not delivered 10 s after the last send", "lost", False),
    ("fanout100r", "fan-out 100 at 100 lines/s: deliveries per server CPU-second", "deliveries_per_server_cpu_s", True),
    ("fanout100r", "fan-out 100 at 100 lines/s: p50 ms", "latency.p50_ms", False),
    ("fanout100r", "fan-out 100 at 100 lines/s: p99 ms", "latency.p99_ms", False),
    ("fanout100r", "fan-out 100 at 100 lines/s: not delivered", "lost", False),
    ("fanout1000", "fan-out 1000 members, window 16: deliveries/s", "deliveries_per_s", True),
    ("fanout1000", "fan-out 1000: deliveries per server CPU-second", "deliveries_per_server_cpu_s", True),
    ("fanout1000", "fan-out 1000: p50 ms", "latency.p50_ms", False),
    ("fanout1000", "fan-out 1000: p99 ms", "latency.p99_ms", False),
    ("fanout1000", "fan-out 1000: not delivered 10 s after the last send", "lost", False),
    ("idle", "idle: connections held", "conns_open", True),
    ("idle", "idle: server KiB per connection", "kib_per_conn", False),
    ("stall", "stall (10 members, 500 lines/s): healthy members' deliveries/s", "deliveries_per_s", True),
    ("stall", "stall: healthy members' p99 ms", "latency.p99_ms", False),
    ("stall", "stall: healthy members' undelivered", "lost", False),
    ("stall", "stall: server RSS growth during flood, KiB", None, False),
    ("stall", "stall: stalled member dropped after, ms", "stalled.server_fd_drop_ms", False),
]

def mine(r, key, server, mode):
    return r.get("key") == key and r.get("server") == server and r.get("writes") == mode

def values(key, server, mode, path):
    out = []
    for r in rows:
        if not mine(r, key, server, mode) or not r.get("ok"):
            continue
        res = r.get("results", {})
        if path is None:
            s = res.get("server") or {}
            v = None if s.get("rss_peak_kib") is None else s["rss_peak_kib"] - s["rss_start_kib"]
        else:
            v = get(res, path)
        if isinstance(v, (int, float)):
            out.append(v)
    return out

def runs_failed(key, server, mode):
    return sum(1 for r in rows if mine(r, key, server, mode) and not r.get("ok"))

def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"

present = [k for k in dict.fromkeys(m[0] for m in METRICS) if any(r.get("key") == k for r in rows)]
# Ratios between servers, within one write mode.
pairs = [((a, w), (b, w)) for w in modes for i, a in enumerate(servers) for b in servers[i + 1:]]
# And, per server, the second write mode against the first (per-frame vs batched by default).
pairs += [((s, modes[1]), (s, modes[0])) for s in servers if len(modes) > 1]
head = ["metric (median of runs)"] + [name(*x) for x in series] + [f"{name(*a)} vs {name(*b)}" for a, b in pairs]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for key, label, path, higher in METRICS:
    if key not in present:
        continue
    med = {}
    cells = [label]
    for s, w in series:
        vs = values(key, s, w, path)
        med[(s, w)] = statistics.median(vs) if vs else None
        cell = fmt(med[(s, w)])
        if not vs and any(mine(r, key, s, w) and r.get("ok") for r in rows):
            cell = "never" if path and path.startswith("stalled.") else "n/a"
        if vs and len(vs) > 1:
            cell += f" (n={len(vs)})"
        failed = runs_failed(key, s, w)
        if failed:
            cell += f" [{failed} failed]"
        cells.append(cell)
    for a, b in pairs:
        x, y = med[a], med[b]
        if x is None or y is None or x == 0 or y == 0:
            cells.append("–")
        else:
            ratio = x / y if higher else y / x
            cells.append(f"{ratio:.2f}×")
    print("| " + " | ".join(cells) + " |")
print()
print("Ratios: how many times better the first column is (>1 = first better; throughput a/b, latency and memory b/a).")
if len(modes) > 1:
    print()
    print("Write modes of the load client: batched = one write per batch of frames (the server reads many")
    print("frames per wake-up); per-frame = one write per frame, as a browser. idle runs in the first mode only")
    print("(one ping per connection).")
print()
print("Server and load client CPU used during the scenario (cores, median; the client's column is empty for runs")
print("without it) and the machine's 1-minute load average (median, before the run):")
print()
print("| scenario | " + " | ".join(f"{s} CPU | {s} client CPU | {s} load" for s in servers) + " |")
print("|---|" + "---|---|---|" * len(servers))
for key in present:
  for w in modes:
    if not any(r.get("key") == key and r.get("writes") == w for r in rows):
        continue
    cells = [key if len(modes) == 1 else f"{key} {w}"]
    for s in servers:
        shares = values(key, s, w, "env.server_cpu_share")
        client = values(key, s, w, "env.client_cpu_share")
        loads = values(key, s, w, "env.loadavg_before")
        cells.append(fmt(statistics.median(shares)) if shares else "–")
        cells.append(fmt(statistics.median(client)) if client else "–")
        cells.append(fmt(statistics.median(loads)) if loads else "–")
    print("| " + " | ".join(cells) + " |")
stalls = [r for r in rows if r.get("key") == "stall" and r.get("ok")]
if stalls:
    print()
    print("Stalled member, per run (outcome when it resumed reading; lines it still received of those sent):")
    for r in stalls:
        st = r["results"].get("stalled", {})
        print(f"- {name(r['server'], r['writes'])} run {r['run']}: {st.get('outcome')}; {st.get('received_on_resume')} of {st.get('expected')}; "
              + (f"server dropped it at {st['server_fd_drop_ms']} ms" if st.get('server_fd_drop_ms') is not None else "server never dropped it")
              + f" (flood ended at {st.get('flood_end_ms')} ms, it resumed reading at {st.get('resume_at_ms')} ms)")
PY
}

if [ -n "$TABLE_ONLY" ]; then
  print_table "$TABLE_ONLY/results.jsonl" "$SERVERS" "$WRITES" | tee "$TABLE_ONLY/table.md"
  exit 0
fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
PEER_DIR="${CHANX_PEER_DIR:-$ROOT/tools/peers/chanx}"
OUT="${OUT:-$TARGET/bench/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

IFS=, read -r -a SERVER_LIST <<< "$SERVERS"
IFS=, read -r -a SCENARIO_LIST <<< "$SCENARIOS"

packages=(-p chanx-load)
for s in "${SERVER_LIST[@]}"; do
  case "$s" in
    raw) packages+=(-p raw-baseline) ;;
    chat-server) packages+=(-p chat-example) ;;
    chanx) [ -x "$PEER_DIR/start.sh" ] || { echo "no Chanx peer at $PEER_DIR" >&2; exit 2; } ;;
    *) echo "unknown server: $s (raw, chanx, chat-server)" >&2; exit 2 ;;
  esac
done
echo "building ${packages[*]} (release) into $TARGET" >&2
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet "${packages[@]}")

# Both the client and the servers hold up to IDLE_CONNS sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

SERVER_PID=""
start_server() { # name port
  local name="$1" port="$2" log="$OUT/server-$1.log"
  case "$name" in
    raw) "$BIN/raw-baseline" --addr "127.0.0.1:$port" >>"$log" 2>&1 & ;;
    chat-server) "$BIN/chat-server" --addr "127.0.0.1:$port" >>"$log" 2>&1 & ;;
    chanx) "$PEER_DIR/start.sh" "$port" uvloop >>"$log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  local i
  for i in $(seq 1 600); do # up to 60 s (the peer's first start installs its virtualenv)
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "$name exited; see $log" >&2; return 1; fi
    sleep 0.1
  done
  echo "$name did not listen on $port in time" >&2
  return 1
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -INT "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

D=5; IDLE="${IDLE_CONNS:-10000}"; CHANX_IDLE="${CHANX_IDLE_CONNS:-$IDLE}"
if [ "$QUICK" = 1 ]; then D=1; IDLE=1000; CHANX_IDLE=1000; fi

scenario_args() { # scenario server -> chanx-load arguments after the global ones
  local idle="$IDLE"; [ "$2" = chanx ] && idle="$CHANX_IDLE"
  case "$1" in
    rtt1) echo "rtt -c 1 -d $D --warmup 1" ;;
    rtt16) echo "rtt -c 16 -d $D --warmup 1" ;;
    rtt64) echo "rtt -c 64 -d $D --warmup 1" ;;
    pipeline) echo "pipeline -c 16 -w 16 -d $D --warmup 1" ;;
    fanout100) echo "fanout -m 100 -s 1 -w 16 -n 1000000 -d $D --drain 10" ;;
    fanout100r) echo "fanout -m 100 -s 1 -r 100 -w 1000 -n 1000000 -d $D --drain 10" ;;
    fanout1000) echo "fanout -m 1000 -s 1 -w 16 -n 1000000 -d $D --drain 10" ;;
    idle) echo "idle -c $idle --hold 3" ;;
    # 10 healthy members, 500 lines/s of 1900 bytes (Chanx caps text at 2000) for 10 s: about 9.5 MB
    # towards the stalled member, more than kernel buffers hold.
    stall) echo "stall -m 10 -s 1 -r 500 -w 1000 -n 1000000 -d 10 --drain 10 --text-bytes 1900 --resume 3" ;;
    *) echo "unknown scenario: $1" >&2; return 1 ;;
  esac
}

for scenario in "${SCENARIO_LIST[@]}"; do
  scenario_args "$scenario" raw >/dev/null
  for run in $(seq 1 "$RUNS"); do
    # Alternate the order of servers from run to run.
    order=("${SERVER_LIST[@]}")
    if [ $((run % 2)) = 0 ]; then
      order=(); for ((i=${#SERVER_LIST[@]}-1; i>=0; i--)); do order+=("${SERVER_LIST[$i]}"); done
    fi
    # Each write mode, alternating their order too; idle sends one ping per connection, so the
    # mode makes no difference there and it runs in the first mode only.
    modes=("${WRITE_LIST[@]}")
    if [ "$scenario" = idle ]; then
      modes=("${WRITE_LIST[0]}")
    elif [ $((run % 2)) = 0 ]; then
      modes=(); for ((i=${#WRITE_LIST[@]}-1; i>=0; i--)); do modes+=("${WRITE_LIST[$i]}"); done
    fi
    for writes in "${modes[@]}"; do
    for server in "${order[@]}"; do
      port="$PORT"; [ "$port" = 0 ] && port="$(free_port)"
      start_server "$server" "$port"
      sleep 0.5
      # shellcheck disable=SC2046
      line="$("$BIN/chanx-load" --addr "127.0.0.1:$port" --server-pid "$SERVER_PID" --label "$server" \
        --writes "$writes" --deadline 300 $(scenario_args "$scenario" "$server") 2>>"$OUT/client.log" | tail -n 1)" || true
      stop_server
      [ -n "$line" ] || line='{"ok":false,"error":"no output"}'
      printf '%s\n' "$line" | jq -c --arg s "$server" --arg k "$scenario" --argjson r "$run" --arg w "$writes" \
        '. + {server: $s, key: $k, run: $r, writes: $w}' >> "$RESULTS"
      printf '%-11s %-6s %-9s run %d: %s\n' "$scenario" "$server" "$writes" "$run" \
        "$(printf '%s' "$line" | jq -c 'if .ok then (.results | {req_per_s, deliveries_per_s, kib_per_conn, lost, server_cpu_s, client_cpu_s} | with_entries(select(.value != null))) else .error end')" >&2
    done
    done
  done
done

print_table "$RESULTS" "$SERVERS" "$WRITES" > "$OUT/table.md"
cat "$OUT/table.md"
echo "results: $RESULTS" >&2
