#!/usr/bin/env bash
# Starts the reference peer: the same room-chat API written with the Python Chanx library (2.13) on FastAPI.
# Usage: tools/peers/chanx/start.sh PORT [asyncio|uvloop]   (loopback only; Ctrl-C or kill to stop)
# CHANX_APP=chat_app (default) or notifications_app (auth by ?token=, emits, events, passthrough, topics).
# Installs chanx into a private virtualenv on first use (PyPI). Env: PEER_VENV (default /tmp/chanx-peer-venv),
# CHANX_LAYER=memory|redis|redis_pubsub, CHANX_REDIS_URL, CHANX_LAYER_CAPACITY (default 10000; Chanx's own default is 100).
set -euo pipefail
PORT="${1:?usage: start.sh PORT [asyncio|uvloop]}"; LOOP="${2:-uvloop}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${PEER_VENV:-/tmp/chanx-peer-venv}"
if ! "$VENV/bin/python" -c 'import chanx, chanx.fast_channels, fastapi, uvicorn, uvloop, fast_channels, yaml, humps' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$HERE/requirements.txt" >&2
fi
exec "$VENV/bin/uvicorn" "${CHANX_APP:-chat_app}:app" --app-dir "$HERE" --host 127.0.0.1 --port "$PORT" --loop "$LOOP" --log-level warning --no-access-log
