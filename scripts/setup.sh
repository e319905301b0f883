#!/usr/bin/env bash
# Installs what the tests need beyond cargo: redis-server and chromium from Debian's packages
# (when missing and apt-get is usable), and the npm packages of tests/ts and examples/chat/web.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

if [ -f tests/ts/package.json ]; then
  (cd tests/ts && { [ -f package-lock.json ] && npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; })
fi

if [ -f examples/chat/web/package.json ]; then
  (cd examples/chat/web && npm ci --no-audit --no-fund --silent)
fi
