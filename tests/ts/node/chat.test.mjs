// End-to-end test of the generated ChatClient (specs/chanx-chat.yaml) against a running chat
// server: ours, or the Python Chanx reference peer. Needs CHAT_BASE_URL (ws://127.0.0.1:PORT) and
// CHAT_TS_DIR (the generated TypeScript compiled to JavaScript); skips without them.
// Node 20 needs --experimental-websocket (Node 22 has WebSocket built in).
import { test } from "node:test";
import assert from "node:assert/strict";

const base = process.env.CHAT_BASE_URL;
const dir = process.env.CHAT_TS_DIR;
const skip = !base || !dir ? "CHAT_BASE_URL and CHAT_TS_DIR are not set" : false;
const load = async () => import(`${dir}/index.js`);

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms))]);

test("url() fills the address parameters", { skip }, async () => {
  const { ChatClient } = await load();
  assert.equal(ChatClient.url("ws://h:1/", { room: "a b" }), "ws://h:1/ws/chat/a%20b");
});

test("ping/pong and echo as typed requests", { skip }, async () => {
  const { ChatClient } = await load();
  const client = new ChatClient(ChatClient.url(base, { room: "node-a" }), { requestTimeoutMs: 3000 });
  await client.connect();
  try {
    const pong = await client.request({ action: "ping" });
    assert.equal(pong.action, "pong");
    const reply = await client.request({ action: "echo", payload: { text: "hi", seq: 7 } });
    assert.equal(reply.action, "echo_reply");
    assert.equal(reply.payload.text, "hi");
    assert.equal(reply.payload.seq, 7);
    const joined = await client.request({ action: "join", payload: { room: "extra" } });
    assert.deepEqual(joined.payload.rooms.includes("extra"), true);
  } finally {
    client.close();
  }
});

test("an error frame with the request's ref rejects the request", { skip }, async () => {
  const { ChatClient, RequestError } = await load();
  const client = new ChatClient(ChatClient.url(base, { room: "node-b" }), { requestTimeoutMs: 3000 });
  await client.connect();
  const errors = [];
  client.onError((frame) => errors.push(frame));
  try {
    // Violates minLength: the server answers with a validation error frame.
    const outcome = await client.request({ action: "echo", payload: { text: "" } }).then(
      () => "resolved",
      (e) => e,
    );
    if (outcome instanceof RequestError) {
      assert.ok(Array.isArray(outcome.frame.payload));
    } else {
      // A server that does not echo `ref` on error frames makes the request time out instead;
      // the error still reaches onError.
      assert.ok(outcome instanceof Error, String(outcome));
    }
    assert.equal(errors.length, 1);
    assert.equal(errors[0].payload[0].type, "string_too_short");
  } finally {
    client.close();
  }
});

test("broadcast reaches every member through on()", { skip }, async () => {
  const { ChatClient } = await load();
  const url = ChatClient.url(base, { room: "node-c" });
  const a = new ChatClient(url);
  const b = new ChatClient(url);
  await Promise.all([a.connect(), b.connect()]);
  try {
    const got = new Promise((resolve) => {
      const off = b.on("chat_notification", (msg) => {
        off();
        resolve(msg);
      });
    });
    a.send({ action: "chat", payload: { text: "hello room" } });
    const msg = await withTimeout(got, 3000, "chat_notification");
    assert.equal(msg.payload.text, "hello room");
    assert.equal(msg.payload.room, "node-c");
  } finally {
    a.close();
    b.close();
  }
});

test("malformed server frames go to onInvalid, not to handlers", { skip }, async () => {
  const { chat } = await load();
  // Feed the client a fake socket so the server need not misbehave.
  class FakeSocket {
    constructor() {
      this.readyState = 0;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 0);
    }
    send() {}
    close() {
      this.readyState = 3;
    }
  }
  const client = new chat.ChatClient("ws://fake", { WebSocket: FakeSocket });
  await client.connect();
  const invalid = [];
  const handled = [];
  client.onInvalid((f) => invalid.push(f));
  client.on("pong", (m) => handled.push(m));
  const socket = client["socket"];
  socket.onmessage({ data: "not json" });
  socket.onmessage({ data: JSON.stringify({ action: "nope" }) });
  socket.onmessage({ data: JSON.stringify({ action: "joined", payload: { room: 5 } }) });
  socket.onmessage({ data: JSON.stringify({ action: "pong", payload: null }) });
  assert.deepEqual(invalid.map((f) => f.reason), ["json", "unknown", "schema"]);
  assert.deepEqual(invalid[2].issues.map((i) => i.path).sort(), ["/payload/room", "/payload/rooms"]);
  assert.equal(handled.length, 1);
  client.close();
});
