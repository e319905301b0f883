#!/usr/bin/env bash
# Every TypeScript test: strict type checks of the generated code for the whole corpus, then the
# Node end-to-end test of the generated ChatClient (against CHAT_BASE_URL, or the Chanx peer).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/check.sh"
"$HERE/e2e.sh"
