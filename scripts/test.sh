#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, Rust tests (unit, snapshot, corpus
# compile, end-to-end over real sockets, Redis), freshness of checked-in generated code,
# TypeScript type checks, the Node and browser end-to-end tests, and the same clients against the
# Python Chanx peer.
#
# Needs: cargo, node + npm. Installs what is missing (Debian's redis-server and chromium via
# apt-get when run as root, npm packages from the registry). Starts its own Redis on a free
# loopback port and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

step() { printf '\n==> %s\n' "$*"; }

step "tools"
scripts/setup.sh

step "redis"
# shellcheck source=scripts/redis.sh
source scripts/redis.sh
start_redis
trap stop_redis EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

step "cargo test"
cargo test --workspace --all-features

step "chanx-gen diff: every bundled spec against itself (no change, exit 0)"
for spec in specs/*.yaml; do
  grep -q '^asyncapi:' "$spec" || continue   # shared files ($ref targets) are not specs
  cargo run -q -p chanx-gen -- diff "$spec" "$spec" >/dev/null
done

step "generated code is fresh"
for check in scripts/check-generated.sh; do
  [ -x "$check" ] && "$check"
done

step "cargo package (both crates, with their verification builds)"
cargo package -p chanx -p chanx-gen --allow-dirty

if [ -x tests/ts/run.sh ]; then
  step "typescript"
  tests/ts/run.sh
fi

step "wire compatibility: the same clients against the Python Chanx peer (tools/peers/chanx)"
# Installs the peer's pinned requirements into a private virtualenv on first use (PyPI).
cargo build -q -p notifications-example --bin notifications-server
examples/notifications/compare/run.sh   # frame-for-frame transcript, ours vs the peer's notifications_app
CHAT_PEER=chanx tests/ts/e2e.sh         # the generated TS client (browser WebSocket and ws) against chat_app

step "all tests passed"
