#!/usr/bin/env bash
# Generates TypeScript for every spec of the corpus (and the hand-built IRs of the emitter
# tests) into a temporary folder, one folder per spec, and type-checks all of them in one
# `tsc --strict --noEmit` run with the strictest options we support (tsconfig.base.json). Then
# compiles the output of specs/hostile-text.yaml to JavaScript and runs tests/ts/hostile/ on it
# (importing it runs no spec text; guards look up own properties only).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -x "$HERE/node_modules/.bin/tsc" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && CHANX_TS_OUT="$OUT" cargo test -q -p chanx-gen --test ts_emit --test ts_corpus >/dev/null)
count=$(find "$OUT" -mindepth 1 -maxdepth 1 -type d | wc -l)
cat > "$OUT/tsconfig.json" <<JSON
{ "extends": "$HERE/tsconfig.base.json", "include": ["./*/*.ts"] }
JSON
"$HERE/node_modules/.bin/tsc" -p "$OUT/tsconfig.json"
echo "tsc: $count generated folders type-check"

HOSTILE="$OUT/repo-hostile-text_yaml"
[ -f "$HOSTILE/index.ts" ] || { echo "error: no output for specs/hostile-text.yaml in $OUT" >&2; exit 1; }
"$HERE/node_modules/.bin/tsc" --outDir "$OUT/hostile-js" --target ES2022 --module ESNext --moduleResolution bundler \
  --lib ES2022 --strict --skipLibCheck "$HOSTILE"/*.ts
echo '{"type":"module"}' > "$OUT/hostile-js/package.json"
HOSTILE_TS_DIR="$OUT/hostile-js" node --test "$HERE/hostile/"*.test.mjs
