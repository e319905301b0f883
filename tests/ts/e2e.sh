#!/usr/bin/env bash
# Runs the Node test of the generated ChatClient (tests/ts/node/*.test.mjs) against a chat server:
#   - CHAT_BASE_URL=ws://127.0.0.1:PORT   a server that is already running (ours or any other);
#   - CHAT_PEER=chanx                     the Python Chanx reference peer, started here;
#   - neither (the default)               chat-server of examples/chat, built with cargo and
#                                         started here on a free loopback port.
# Whatever it starts, it stops on exit.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -x "$HERE/node_modules/.bin/tsc" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
# Inside tests/ts, so that the `ws` test below resolves `ws` and its types from node_modules.
OUT="$(mktemp -d "$HERE/.out.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$OUT"
}
trap cleanup EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && CHANX_TS_OUT="$OUT/gen" cargo test -q -p chanx-gen --test ts_corpus every_corpus_spec >/dev/null)
SRC="$OUT/gen/repo-chanx-chat_yaml"
"$HERE/node_modules/.bin/tsc" --outDir "$OUT/js" --target ES2022 --module ESNext --moduleResolution bundler \
  --lib ES2022 --strict --skipLibCheck "$SRC"/*.ts
echo '{"type":"module"}' > "$OUT/js/package.json"
# The same client with the `ws` package: ws's constructor passed as `options.WebSocket` must
# type-check under --strict without a cast (tests/ts/ws/).
mkdir -p "$OUT/ws"
cp "$SRC"/*.ts "$HERE/ws/ws_client.test.ts" "$OUT/ws/"
echo '{"type":"module"}' > "$OUT/ws/package.json"
(cd "$HERE" && node_modules/.bin/tsc --outDir "$OUT/ws-js" --target ES2022 --module NodeNext \
  --moduleResolution NodeNext --lib ES2022 --types node --strict --skipLibCheck "$OUT/ws"/*.ts)
echo '{"type":"module"}' > "$OUT/ws-js/package.json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # URL LOG: polls URL for up to 60 s; fails with the server's log
  for _ in $(seq 1 300); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "error: the server did not answer at $1" >&2
  cat "$2" >&2
  return 1
}

if [ -z "${CHAT_BASE_URL:-}" ]; then
  PORT=$(free_port)
  if [ "${CHAT_PEER:-}" = chanx ]; then
    PEER="$ROOT/tools/peers/chanx/start.sh"
    "$PEER" "$PORT" asyncio >"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    wait_for "http://127.0.0.1:$PORT/healthz" "$OUT/server.log"
    export CHAT_SERVER=chanx
  else
    (cd "$ROOT" && cargo build -q -p chat-example --bin chat-server)
    "$CARGO_TARGET_DIR/debug/chat-server" --addr "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    wait_for "http://127.0.0.1:$PORT/asyncapi.json" "$OUT/server.log"
    export CHAT_SERVER=chat-server
  fi
  export CHAT_BASE_URL="ws://127.0.0.1:$PORT"
fi
echo "node test against ${CHAT_SERVER:-the server at} $CHAT_BASE_URL"
flag=""
node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null || flag="--experimental-websocket"
CHAT_TS_DIR="$OUT/js" node $flag --test "$HERE/node/"*.test.mjs
node --test "$OUT/ws-js/ws_client.test.js"
