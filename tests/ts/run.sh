#!/usr/bin/env bash
# Every TypeScript test: strict type checks of the generated code for the whole corpus, the Node
# end-to-end test of the generated ChatClient (against chat-server, or CHAT_BASE_URL / CHAT_PEER),
# and the browser test of chat-server's chat and docs pages in Debian's Chromium.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/check.sh"
"$HERE/e2e.sh"
"$HERE/browser.sh"
