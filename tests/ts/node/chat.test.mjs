// End-to-end test of the generated ChatClient (specs/chanx-chat.yaml) against a running chat
// server: ours, or the Python Chanx reference peer. Needs CHAT_BASE_URL (ws://127.0.0.1:PORT) and
// CHAT_TS_DIR (the generated TypeScript compiled to JavaScript); skips without them. CHAT_SERVER
// says which server it is (`chat-server`, `chanx`) where their behaviour may differ.
// Node 20 needs --experimental-websocket (Node 22 has WebSocket built in).
import { test } from "node:test";
import assert from "node:assert/strict";

const base = process.env.CHAT_BASE_URL;
const dir = process.env.CHAT_TS_DIR;
const skip = !base || !dir ? "CHAT_BASE_URL and CHAT_TS_DIR are not set" : false;
const ours = process.env.CHAT_SERVER === "chat-server";
const load = async () => import(`${dir}/index.js`);

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms))]);

// The server joins a connection to its room in `on_connect`, which runs once the WebSocket is
// open; the first answered request shows it has run (frames are read only after it).
const joined = (...clients) => Promise.all(clients.map((c) => c.request({ action: "ping" })));

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
    if (ours) {
      // chat-server echoes the request's `ref` on its error frames.
      assert.ok(outcome instanceof RequestError, String(outcome));
      assert.equal(outcome.frame.ref !== undefined, true);
    }
    if (outcome instanceof RequestError) {
      assert.ok(Array.isArray(outcome.frame.payload));
      assert.match(outcome.message, /payload\.text/);
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
  const a = new ChatClient(url, { requestTimeoutMs: 3000 });
  const b = new ChatClient(url, { requestTimeoutMs: 3000 });
  await Promise.all([a.connect(), b.connect()]);
  try {
    await joined(a, b);
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

const chatReply = skip || (ours ? false : "only chat-server answers `chat` with a reply (the Chanx peer broadcasts it)");

test("a chat request resolves by ref for the sender; the other member gets the line through on()", { skip: chatReply }, async () => {
  const { ChatClient } = await load();
  const url = ChatClient.url(base, { room: "node-d" });
  const a = new ChatClient(url, { requestTimeoutMs: 3000 });
  const b = new ChatClient(url, { requestTimeoutMs: 3000 });
  await Promise.all([a.connect(), b.connect()]);
  try {
    await joined(a, b);
    const seenByA = [];
    a.on("chat_notification", (msg, meta) => seenByA.push({ msg, meta }));
    const seenByB = new Promise((resolve) => {
      const off = b.on("chat_notification", (msg, meta) => {
        off();
        resolve({ msg, meta });
      });
    });
    const reply = await a.request({ action: "chat", payload: { text: "by ref", seq: 42 } });
    assert.equal(reply.action, "chat_notification");
    assert.equal(reply.payload.text, "by ref");
    assert.equal(reply.payload.seq, 42);
    assert.equal(typeof reply.payload.sender, "string");
    // The reply also reaches a's typed handler, with the ref it answers.
    assert.equal(seenByA.length, 1);
    assert.equal(typeof seenByA[0].meta.ref, "string");
    const other = await withTimeout(seenByB, 3000, "b's chat_notification");
    assert.equal(other.msg.payload.text, "by ref");
    assert.equal(other.msg.payload.sender, reply.payload.sender);
    assert.equal(other.meta.ref, undefined, "the broadcast copy carries no ref");
  } finally {
    a.close();
    b.close();
  }
});

test("requests in flight at once are matched by ref, not by order", { skip }, async () => {
  const { ChatClient } = await load();
  const client = new ChatClient(ChatClient.url(base, { room: "node-e" }), { requestTimeoutMs: 3000 });
  await client.connect();
  try {
    const [pong, first, second] = await Promise.all([
      client.request({ action: "ping" }),
      client.request({ action: "echo", payload: { text: "first", seq: 1 } }),
      client.request({ action: "echo", payload: { text: "second", seq: 2 } }),
    ]);
    assert.equal(pong.action, "pong");
    assert.deepEqual([first.payload.text, first.payload.seq], ["first", 1]);
    assert.deepEqual([second.payload.text, second.payload.seq], ["second", 2]);
  } finally {
    client.close();
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
