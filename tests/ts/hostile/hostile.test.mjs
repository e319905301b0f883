// The TypeScript generated from specs/hostile-text.yaml, compiled to JavaScript by check.sh
// (HOSTILE_TS_DIR): importing it runs no spec text, and its guards look up own properties only.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.HOSTILE_TS_DIR;
assert.ok(dir, "HOSTILE_TS_DIR must name the compiled output of specs/hostile-text.yaml");
const load = (file) => import(pathToFileURL(path.join(dir, file)).href);

// Every injection attempt in the spec calls `injected` or `eval`; neither may ever run.
const calls = [];
globalThis.injected = (...args) => calls.push(args);

test("importing the generated modules runs no spec text", async () => {
  const index = await load("index.js");
  assert.equal(typeof index.ChanxClient, "function", "the runtime's ChanxClient is still exported");
  assert.equal(typeof index.ChanxChannelClient, "function", "the `chanx` channel's client got its own name");
  assert.notEqual(index.ChanxClient, index.ChanxChannelClient);
  assert.deepEqual(calls, []);
});

test("string values keep the spec's text exactly", async () => {
  const channel = await load("ws_room_eval_injected.js");
  assert.equal(channel.spec.address, "/ws/{room}*/ eval(`injected`); /*");
  assert.deepEqual(
    channel.spec.client.map(([key]) => key),
    ["hello */ injected(); /*", "__proto__", "shape"],
  );
});

test("a tagged union refuses Object.prototype names and accepts an own `__proto__` variant", async () => {
  const guards = await load("guards.js");
  for (const kind of ["toString", "constructor", "hasOwnProperty", "valueOf"]) {
    const issues = guards.checkShape({ kind });
    assert.equal(issues.length, 1, `kind ${kind} must be refused`);
    assert.match(issues[0].message, /^unknown kind/);
  }
  assert.deepEqual(guards.checkShape(JSON.parse('{"kind":"__proto__"}')), []);
  assert.deepEqual(guards.checkShape({ kind: "circle", r: 1 }), []);
  assert.equal(guards.checkShape({ kind: "circle" }).length, 1);
});

test("reply lookups use own properties only", async () => {
  const channel = await load("ws_room_eval_injected.js");
  assert.deepEqual(Object.keys(channel.spec.replies), ["hello */ injected(); /*", "__proto__"]);
  assert.deepEqual(channel.spec.replies["__proto__"], ["toString"]);
  assert.equal(Object.getPrototypeOf(channel.spec.replies), Object.prototype);
});

test("buildUrl fills only own parameters", async () => {
  const runtime = await load("runtime.js");
  assert.equal(runtime.buildUrl("ws://h", "/a/{toString}/{room}", { room: "r" }), "ws://h/a/{toString}/r");
});
