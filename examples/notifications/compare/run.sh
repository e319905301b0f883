#!/usr/bin/env bash
# Runs the same frame script against the Chanx reference peer (notifications_app) and
# notifications-server (loopback only) and diffs the transcripts. Needs the peer's virtualenv
# (created by its start.sh on first use) and a built server (cargo build -p notifications-example).
# Usage: examples/notifications/compare/run.sh [path/to/notifications-server]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PEER_DIR="${PEER_DIR:-$ROOT/tools/peers/chanx}"
VENV="${PEER_VENV:-/tmp/chanx-peer-venv}"
SERVER="${1:-$ROOT/target/debug/notifications-server}"
OUT="${OUT:-$(mktemp -d)}"; mkdir -p "$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

PEER_PORT=$(free_port); OURS_PORT=$(free_port)
CHANX_APP=notifications_app "$PEER_DIR/start.sh" "$PEER_PORT" asyncio >"$OUT/peer.log" 2>&1 & PEER_PID=$!
"$SERVER" "$OURS_PORT" >"$OUT/ours.log" 2>&1 & OURS_PID=$!
trap 'kill $PEER_PID $OURS_PID 2>/dev/null || true' EXIT
wait_port "$PEER_PORT"; wait_port "$OURS_PORT"

"$VENV/bin/python" "$HERE/transcript.py" "ws://127.0.0.1:$PEER_PORT" >"$OUT/peer.txt"
"$VENV/bin/python" "$HERE/transcript.py" "ws://127.0.0.1:$OURS_PORT" >"$OUT/ours.txt"
echo "transcripts in $OUT"
diff -u "$OUT/peer.txt" "$OUT/ours.txt" && echo "identical"
