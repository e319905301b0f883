# Sourced by scripts/test.sh: start_redis runs a private redis-server on a free loopback port
# and exports REDIS_URL; stop_redis stops it.
start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    echo "using REDIS_URL=$REDIS_URL"
    return
  fi
  REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  REDIS_DIR=$(mktemp -d)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  # Tests that restart Redis need to know how it was started.
  export CHANX_TEST_REDIS_SERVER="redis-server"
  echo "redis on $REDIS_URL"
}

stop_redis() {
  if [ -n "${REDIS_DIR:-}" ] && [ -f "$REDIS_DIR/redis.pid" ]; then
    kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
  fi
}
