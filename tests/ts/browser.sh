#!/usr/bin/env bash
# Browser test (tests/ts/browser/*.test.mjs): builds chat-server with cargo, starts it on a free
# loopback port (or uses CHAT_HTTP_URL), and drives Debian's /usr/bin/chromium with playwright-core
# through the chat page at `/` and the docs page at `/asyncapi`. Screenshots are written to
# target/test-artifacts/. Stops the server on exit.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CHAT_ARTIFACTS="${CHAT_ARTIFACTS:-$ROOT/target/test-artifacts}"
LOG="$(mktemp)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

if [ -z "${CHAT_HTTP_URL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p chat-example --bin chat-server)
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$CARGO_TARGET_DIR/debug/chat-server" --addr "127.0.0.1:$PORT" --allowed-origin "http://127.0.0.1:$PORT" >"$LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.2
  done
  export CHAT_HTTP_URL="http://127.0.0.1:$PORT"
fi
echo "browser test against chat-server at $CHAT_HTTP_URL (screenshots in $CHAT_ARTIFACTS)"
node --test "$HERE/browser/"*.test.mjs
