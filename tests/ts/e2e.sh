#!/usr/bin/env bash
# Runs the Node test of the generated ChatClient against a chat server at CHAT_BASE_URL
# (ws://127.0.0.1:PORT). Without CHAT_BASE_URL it starts the Python Chanx reference peer.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -x "$HERE/node_modules/.bin/tsc" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
OUT="$(mktemp -d)"
PEER_PID=""
cleanup() { [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && CHANX_TS_OUT="$OUT/gen" cargo test -q -p chanx-gen --test ts_corpus every_corpus_spec >/dev/null)
SRC="$OUT/gen/repo-chanx-chat_yaml"
"$HERE/node_modules/.bin/tsc" --outDir "$OUT/js" --target ES2022 --module ESNext --moduleResolution bundler \
  --lib ES2022 --strict --skipLibCheck "$SRC"/*.ts
echo '{"type":"module"}' > "$OUT/js/package.json"
if [ -z "${CHAT_BASE_URL:-}" ]; then
  PEER="$ROOT/../shared/peers/chanx/start.sh"
  [ -x "$PEER" ] || PEER=/work/shared/peers/chanx/start.sh
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$PEER" "$PORT" asyncio >"$OUT/peer.log" 2>&1 &
  PEER_PID=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  export CHAT_BASE_URL="ws://127.0.0.1:$PORT"
fi
flag=""
node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null || flag="--experimental-websocket"
CHAT_TS_DIR="$OUT/js" node $flag --test "$HERE/node/"*.test.mjs
