// Browser test of chat-server's pages, in Debian's Chromium driven by playwright-core (never a
// downloaded browser): two pages join one room on `/` and see each other's lines and the server's
// error frames; `/asyncapi` renders every message of the spec. Needs CHAT_HTTP_URL
// (http://127.0.0.1:PORT of a running chat-server); skips without it. Screenshots go to
// CHAT_ARTIFACTS (default: target/test-artifacts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.CHAT_HTTP_URL;
const skip = base ? false : "CHAT_HTTP_URL is not set";
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = resolve(process.env.CHAT_ARTIFACTS ?? join(import.meta.dirname, "../../../target/test-artifacts"));
const TIMEOUT = 15_000;

let context;
let profile;
const pageErrors = [];

before(async () => {
  if (skip) return;
  mkdirSync(artifacts, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), "chanx-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 900, height: 700 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function open(path) {
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${path}: ${error.message}`));
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (response.status() >= 400 && url.pathname !== "/favicon.ico") {
      pageErrors.push(`${path}: ${response.status()} from ${url.pathname}`);
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      pageErrors.push(`${path}: console: ${message.text()}`);
    }
  });
  await page.goto(new URL(path, base).href);
  return page;
}

async function joinRoom(page, room) {
  await page.fill("#room", room);
  await page.click("#join-button");
  await page.waitForSelector('#status[data-state="open"]');
  await page.waitForSelector(`#messages li.notice:has-text("You joined #${room}.")`);
}

test("two pages in one room see each other's lines, and error frames are shown", { skip }, async () => {
  const alice = await open("/");
  const bob = await open("/");
  try {
    assert.equal(await alice.title(), "Chanx chat");
    assert.equal(await alice.isDisabled("#line"), true, "sending needs a room first");
    await joinRoom(alice, "browser-room");
    await joinRoom(bob, "browser-room");
    assert.match(alice.url(), /#browser-room$/);

    await alice.fill("#line", "hello from alice");
    await alice.press("#line", "Enter");
    const mine = alice.locator("#messages li.line.mine .text");
    await mine.waitFor();
    assert.equal(await mine.textContent(), "hello from alice");
    const seen = bob.locator("#messages li.line .text", { hasText: "hello from alice" });
    await seen.waitFor();
    assert.equal(await bob.locator("#messages li.line.mine").count(), 0, "bob did not send it");
    const sender = (await bob.locator("#messages li.line").first().getAttribute("data-sender")) ?? "";
    assert.match(sender, /^.{1,8}$/);
    assert.equal(await alice.locator("#messages li.line.mine").getAttribute("data-sender"), sender);

    await bob.fill("#line", "hi alice");
    await bob.click("#send-button");
    await alice.locator("#messages li.line .text", { hasText: "hi alice" }).waitFor();
    await alice.screenshot({ path: join(artifacts, "chat-alice.png") });
    await bob.screenshot({ path: join(artifacts, "chat-bob.png") });

    // An empty line breaks the spec's minLength: the server's error frame is shown.
    await bob.fill("#line", "");
    await bob.press("#line", "Enter");
    const errors = bob.locator("#errors");
    await errors.waitFor({ state: "visible" });
    assert.match((await errors.textContent()) ?? "", /payload\.text/);
    assert.equal(await bob.locator('#status[data-state="open"]').count(), 1, "the connection stays open");
    await bob.screenshot({ path: join(artifacts, "chat-error.png") });
    // The next good line clears it.
    await bob.fill("#line", "sorry");
    await bob.press("#line", "Enter");
    await errors.waitFor({ state: "hidden" });
    await alice.locator("#messages li.line .text", { hasText: "sorry" }).waitFor();
  } finally {
    await alice.close();
    await bob.close();
  }
  assert.deepEqual(pageErrors, []);
});

test("the docs page renders every message name of the spec", { skip }, async () => {
  const spec = await (await fetch(new URL("/asyncapi.json", base))).json();
  const names = Object.keys(spec.components.messages);
  assert.ok(names.length > 0);
  const page = await open("/asyncapi");
  try {
    assert.match(await page.title(), /Chanx chat sample/);
    const text = await page.locator("body").innerText();
    for (const name of names) assert.ok(text.includes(name), `the docs page shows ${name}`);
    await page.screenshot({ path: join(artifacts, "asyncapi.png") });
    await page.screenshot({ path: join(artifacts, "asyncapi-full.png"), fullPage: true });
  } finally {
    await page.close();
  }
  assert.deepEqual(pageErrors, []);
});
