// The generated ChatClient driven by the `ws` package's WebSocket, the usual choice on Node 20
// (no global WebSocket without a flag). This file is type-checked with `tsc --strict` beside the
// generated code: passing ws's constructor as `options.WebSocket` needs no cast. Needs
// CHAT_BASE_URL (ws://127.0.0.1:PORT); e2e.sh sets it and fails when the test does not run.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { ChatClient } from "./index.js";

const base = process.env.CHAT_BASE_URL ?? "";

test("ws's WebSocket drives the typed client without a cast", async () => {
  assert.notEqual(base, "", "CHAT_BASE_URL is set");
  const client = new ChatClient(ChatClient.url(base, { room: "node-ws" }), {
    WebSocket,
    requestTimeoutMs: 3000,
  });
  await client.connect();
  try {
    const pong = await client.request({ action: "ping" });
    assert.equal(pong.action, "pong");
    const reply = await client.request({ action: "echo", payload: { text: "über ws", seq: 1 } });
    assert.equal(reply.action, "echo_reply");
    assert.equal(reply.payload.text, "über ws");
  } finally {
    client.close();
  }
});
