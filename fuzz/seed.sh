#!/usr/bin/env bash
# Fills fuzz/corpus/{spec,frame} with seeds: every spec of the vendored corpus (tests/corpus) and of
# specs/ for `spec`; the recorded Chanx peer frames and valid frames of both chat specs for
# `frame`. Idempotent; the corpus directories are not committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
corpus="$root/tests/corpus"

mkdir -p "$here/corpus/spec" "$here/corpus/frame"
n=0
while IFS= read -r -d '' f; do
    rel="${f#"$(dirname "$(dirname "$f")")"/}"
    cp "$f" "$here/corpus/spec/seed-${rel//\//_}"
    n=$((n + 1))
done < <(find "$corpus" "$root/specs" -type f \
    \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0)
echo "spec: $n seeds"

i=0
frame() { i=$((i + 1)); printf '%s' "$1" > "$here/corpus/frame/seed-$i"; }
while IFS= read -r line; do
    frame "${line%% => *}"
done < "$root/tests/fixtures/chanx-peer-frames.txt"
uid=123e4567-e89b-12d3-a456-426614174000
user="{\"id\":\"$uid\",\"name\":\"Ann\",\"status\":\"online\",\"avatar_url\":null}"
frame '{"action":"chat","payload":{"sent_at":1.5,"seq":3,"text":"hi"}}'
frame '{"action":"echo","payload":{"sent_at":null,"seq":null,"text":"x"},"ref":"r1"}'
frame '{"action":"join","payload":{"room":"lobby_1"}}'
frame '{"action":"leave","payload":{"room":"lobby"}}'
frame '{"action":"ping","payload":null}'
frame '{"action":"chat_notification","payload":{"room":"r","sender":"s","sent_at":null,"seq":1,"text":"t"}}'
frame '{"action":"joined","payload":{"room":"r","rooms":["a","r"]}}'
frame "{\"action\":\"join\",\"user\":$user,\"request_id\":\"$uid\"}"
frame '{"action":"send_text","text":"hello","reply_to":{"message_id":"1","parent":{"message_id":"0"}},"metadata":{"k":"v"}}'
frame '{"action":"ping","ts":5}'
frame "{\"action\":\"joined\",\"members\":[$user],\"topic\":null}"
frame "{\"action\":\"new_message\",\"author\":$user,\"text\":\"t\",\"sent_at\":\"2024-05-01T10:00:00Z\",\"priority\":\"high\",\"attachment\":{\"url\":\"https://x.io/a.png\",\"width\":1,\"height\":2},\"labels\":{\"x-a\":\"b\"}}"
frame '{"action":"error","code":4,"message":"m","retry_after_ms":10}'
echo "frame: $i seeds"
