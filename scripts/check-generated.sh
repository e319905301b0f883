#!/usr/bin/env bash
# Fails (exit 1, printing a diff) when a checked-in generated file is not what the generator
# would write now:
#   examples/chat/src/api/rust/      chanx-gen generate specs/chanx-chat.yaml --rust-only
#   examples/chat/src/api/asyncapi.html   chanx-gen docs specs/chanx-chat.yaml
#   examples/chat/web/dist/app.js    examples/chat/web/build.sh (the page on the generated ChatClient)
# Fix with the command next to the stale file.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
stale=0

echo "checking examples/chat/src/api (Rust)"
cargo run -q -p chanx-gen -- check specs/chanx-chat.yaml -o examples/chat/src/api --rust-only || stale=1

echo "checking examples/chat/src/api/asyncapi.html"
cargo run -q -p chanx-gen -- docs specs/chanx-chat.yaml -o "$TMP/asyncapi.html" 2>/dev/null
if ! diff -u examples/chat/src/api/asyncapi.html "$TMP/asyncapi.html" >"$TMP/docs.diff"; then
  cat "$TMP/docs.diff"
  echo "error: examples/chat/src/api/asyncapi.html is stale;" \
    "run: cargo run -p chanx-gen -- docs specs/chanx-chat.yaml -o examples/chat/src/api/asyncapi.html" >&2
  stale=1
fi

echo "checking examples/chat/web/dist/app.js"
examples/chat/web/build.sh "$TMP/web"
if ! diff -u examples/chat/web/dist/app.js "$TMP/web/app.js" >"$TMP/web.diff"; then
  cat "$TMP/web.diff"
  echo "error: examples/chat/web/dist/app.js is stale; run: examples/chat/web/build.sh" >&2
  stale=1
fi

[ "$stale" = 0 ] && echo "generated files are fresh"
exit "$stale"
