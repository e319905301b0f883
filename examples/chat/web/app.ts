// The chat page served by chat-server at `/`: join a room, read its lines, send a line, see the
// server's error frames. Written against the ChatClient that chanx-gen generates from
// specs/chanx-chat.yaml (`build.sh` generates it into gen/ and bundles this file to dist/app.js).

import { ChatClient, RequestError } from "./gen/ts/index.js";
import type { ChatNotificationPayload, ErrorFrame, FrameMeta, InvalidFrame } from "./gen/ts/index.js";

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const joinForm = element("join", HTMLFormElement);
const roomInput = element("room", HTMLInputElement);
const status = element("status", HTMLSpanElement);
const errors = element("errors", HTMLParagraphElement);
const messages = element("messages", HTMLOListElement);
const sendForm = element("send", HTMLFormElement);
const lineInput = element("line", HTMLInputElement);
const sendButton = element("send-button", HTMLButtonElement);

type State = "idle" | "connecting" | "open" | "reconnecting" | "closed";

let client: ChatClient | null = null;
let seq = 0;

function setState(state: State, text: string): void {
  status.dataset["state"] = state;
  status.textContent = text;
  const open = state === "open";
  lineInput.disabled = !open;
  sendButton.disabled = !open;
}

function showError(text: string): void {
  errors.textContent = text;
  errors.hidden = false;
}

function clearError(): void {
  errors.textContent = "";
  errors.hidden = true;
}

/** Human text of an error frame: every validation problem, or the handler's detail. */
function describe(frame: ErrorFrame): string {
  const payload = frame.payload;
  if (Array.isArray(payload)) {
    return payload.map((item) => (item.loc.length > 0 ? `${item.loc.join(".")}: ${item.msg}` : item.msg)).join("; ");
  }
  return typeof payload.detail === "string" ? payload.detail : JSON.stringify(payload.detail);
}

function scrollToEnd(): void {
  messages.scrollTop = messages.scrollHeight;
}

function clock(seconds: number | null | undefined): string {
  const date = typeof seconds === "number" ? new Date(seconds * 1000) : new Date();
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function addLine(note: ChatNotificationPayload, mine: boolean): void {
  const item = document.createElement("li");
  item.className = "line";
  if (mine) item.classList.add("mine");
  if (note.sender === "server") item.classList.add("server");
  item.dataset["sender"] = note.sender;
  const sender = document.createElement("span");
  sender.className = "sender";
  sender.textContent = mine ? `${note.sender} (you)` : note.sender;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = note.text;
  const time = document.createElement("time");
  time.textContent = clock(note.sent_at);
  item.append(sender, text, time);
  messages.append(item);
  scrollToEnd();
}

function addNotice(text: string): void {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  messages.append(item);
  scrollToEnd();
}

async function join(room: string): Promise<void> {
  client?.close();
  client = null;
  clearError();
  messages.replaceChildren();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const next = new ChatClient(ChatClient.url(`${scheme}//${location.host}`, { room }), {
    reconnect: { retries: 5 },
    requestTimeoutMs: 5000,
  });
  client = next;
  // Only the sender gets a chat line with its `ref` (as the reply to its request).
  next.on("chat_notification", (message, meta: FrameMeta) => addLine(message.payload, meta.ref !== undefined));
  next.onError((frame) => showError(describe(frame)));
  next.onInvalid((frame: InvalidFrame) =>
    showError(`the server sent a frame the contract does not allow (${frame.reason}): ${frame.issues.map((i) => `${i.path} ${i.message}`).join("; ")}`),
  );
  next.onOpen(() => {
    if (client === next) setState("open", `in #${room}`);
  });
  next.onClose((code, _reason, willReconnect) => {
    if (client !== next) return;
    if (willReconnect) setState("reconnecting", `reconnecting to #${room}…`);
    else setState("closed", `disconnected (${code})`);
  });
  setState("connecting", `joining #${room}…`);
  try {
    await next.connect();
  } catch (error) {
    if (client !== next) return;
    setState("closed", "not connected");
    showError(error instanceof Error ? error.message : String(error));
    return;
  }
  if (client !== next) return;
  history.replaceState(null, "", `#${encodeURIComponent(room)}`);
  addNotice(`You joined #${room}.`);
  lineInput.focus();
}

async function send(text: string): Promise<void> {
  const current = client;
  if (current === null || !current.connected) return;
  clearError();
  seq += 1;
  try {
    await current.request({ action: "chat", payload: { text, seq, sent_at: Date.now() / 1000 } });
  } catch (error) {
    // Error frames are shown by onError; anything else (timeout, closed) here.
    if (!(error instanceof RequestError && error.frame !== undefined)) {
      showError(error instanceof Error ? error.message : String(error));
    }
  }
}

joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = roomInput.value.trim();
  if (room !== "") void join(room);
});

sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  // Empty lines go out too: the server's validation error frame is shown like any other.
  const text = lineInput.value;
  lineInput.value = "";
  void send(text);
});

setState("idle", "not connected");
const fromHash = decodeURIComponent(location.hash.slice(1));
if (fromHash !== "") {
  roomInput.value = fromHash;
  void join(fromHash);
}
