// Shared runtime of the generated clients: frame guards and a WebSocket client with typed
// dispatch, request/reply by `ref`, timeouts and optional reconnect. No dependencies: it only
// needs a WebSocket constructor (the global one, or one passed in the options).

/** One problem found in a frame: where (a JSON pointer into the frame) and what. */
export interface Issue {
  path: string;
  message: string;
}

/** Checks a value, appending every problem to `issues`. */
export type Check = (value: unknown, path: string, issues: Issue[]) => void;

/** Number rules of a JSON Schema. */
export interface NumberRules {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

/** String rules of a JSON Schema. */
export interface StringRules {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/** Array rules of a JSON Schema. */
export interface ArrayRules {
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

/** A property of an object check: wire name, check, required. */
export type FieldCheck = readonly [name: string, check: Check, required: boolean];

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isRecord(value: unknown): value is { [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Own properties only: a key from a frame or a spec (`toString`, `__proto__`) never reaches
 * `Object.prototype`. */
function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/** The value of an own property, `undefined` when there is none. */
function own<V>(value: { readonly [key: string]: V }, key: string): V | undefined {
  return hasOwn(value, key) ? value[key] : undefined;
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function checkNumberRules(value: number, rules: NumberRules, path: string, issues: Issue[]): void {
  if (rules.minimum !== undefined && value < rules.minimum)
    issues.push({ path, message: `expected a number >= ${rules.minimum}, found ${value}` });
  if (rules.maximum !== undefined && value > rules.maximum)
    issues.push({ path, message: `expected a number <= ${rules.maximum}, found ${value}` });
  if (rules.exclusiveMinimum !== undefined && value <= rules.exclusiveMinimum)
    issues.push({ path, message: `expected a number > ${rules.exclusiveMinimum}, found ${value}` });
  if (rules.exclusiveMaximum !== undefined && value >= rules.exclusiveMaximum)
    issues.push({ path, message: `expected a number < ${rules.exclusiveMaximum}, found ${value}` });
  if (rules.multipleOf !== undefined && rules.multipleOf > 0) {
    const q = value / rules.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9)
      issues.push({ path, message: `expected a multiple of ${rules.multipleOf}, found ${value}` });
  }
}

const patterns = new Map<string, RegExp | null>();

function compiled(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, "u");
    } catch {
      re = null;
    }
    patterns.set(pattern, re);
  }
  return re;
}

/** Combinators that build the generated guards. */
export const check = {
  any: (() => undefined) as Check,
  null: ((value, path, issues) => {
    if (value !== null) issues.push({ path, message: `expected null, found ${describe(value)}` });
  }) as Check,
  boolean: ((value, path, issues) => {
    if (typeof value !== "boolean")
      issues.push({ path, message: `expected a boolean, found ${describe(value)}` });
  }) as Check,
  integer(rules: NumberRules = {}): Check {
    return (value, path, issues) => {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        issues.push({ path, message: `expected an integer, found ${describe(value)}` });
        return;
      }
      checkNumberRules(value, rules, path, issues);
    };
  },
  number(rules: NumberRules = {}): Check {
    return (value, path, issues) => {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        issues.push({ path, message: `expected a number, found ${describe(value)}` });
        return;
      }
      checkNumberRules(value, rules, path, issues);
    };
  },
  string(rules: StringRules = {}): Check {
    return (value, path, issues) => {
      if (typeof value !== "string") {
        issues.push({ path, message: `expected a string, found ${describe(value)}` });
        return;
      }
      if (rules.minLength !== undefined || rules.maxLength !== undefined) {
        const length = [...value].length;
        if (rules.minLength !== undefined && length < rules.minLength)
          issues.push({ path, message: `expected at least ${rules.minLength} characters, found ${length}` });
        if (rules.maxLength !== undefined && length > rules.maxLength)
          issues.push({ path, message: `expected at most ${rules.maxLength} characters, found ${length}` });
      }
      if (rules.pattern !== undefined) {
        const re = compiled(rules.pattern);
        if (re !== null && !re.test(value))
          issues.push({ path, message: `expected a string matching ${rules.pattern}` });
      }
    };
  },
  literal(expected: string | number | boolean | null): Check {
    return (value, path, issues) => {
      if (value !== expected)
        issues.push({ path, message: `expected ${JSON.stringify(expected)}, found ${JSON.stringify(value) ?? describe(value)}` });
    };
  },
  oneOfValues(values: ReadonlyArray<string | number>): Check {
    return (value, path, issues) => {
      if (typeof value !== "string" && typeof value !== "number") {
        issues.push({ path, message: `expected one of ${JSON.stringify(values)}, found ${describe(value)}` });
      } else if (!values.includes(value)) {
        issues.push({ path, message: `expected one of ${JSON.stringify(values)}, found ${JSON.stringify(value)}` });
      }
    };
  },
  array(items: Check, rules: ArrayRules = {}): Check {
    return (value, path, issues) => {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected an array, found ${describe(value)}` });
        return;
      }
      if (rules.minItems !== undefined && value.length < rules.minItems)
        issues.push({ path, message: `expected at least ${rules.minItems} items, found ${value.length}` });
      if (rules.maxItems !== undefined && value.length > rules.maxItems)
        issues.push({ path, message: `expected at most ${rules.maxItems} items, found ${value.length}` });
      if (rules.uniqueItems === true) {
        const seen = new Set(value.map((item) => JSON.stringify(item)));
        if (seen.size !== value.length) issues.push({ path, message: "expected unique items" });
      }
      value.forEach((item, i) => items(item, pointer(path, i), issues));
    };
  },
  tuple(items: readonly Check[]): Check {
    return (value, path, issues) => {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected an array, found ${describe(value)}` });
        return;
      }
      if (value.length !== items.length)
        issues.push({ path, message: `expected ${items.length} items, found ${value.length}` });
      items.forEach((item, i) => {
        if (i < value.length) item(value[i], pointer(path, i), issues);
      });
    };
  },
  map(values: Check): Check {
    return (value, path, issues) => {
      if (!isRecord(value)) {
        issues.push({ path, message: `expected an object, found ${describe(value)}` });
        return;
      }
      for (const [key, item] of Object.entries(value)) values(item, pointer(path, key), issues);
    };
  },
  object(fields: readonly FieldCheck[], additional?: Check): Check {
    const known = new Set(fields.map(([name]) => name));
    return (value, path, issues) => {
      if (!isRecord(value)) {
        issues.push({ path, message: `expected an object, found ${describe(value)}` });
        return;
      }
      for (const [name, fieldCheck, required] of fields) {
        if (hasOwn(value, name)) {
          fieldCheck(value[name], pointer(path, name), issues);
        } else if (required) {
          issues.push({ path: pointer(path, name), message: "missing required property" });
        }
      }
      if (additional !== undefined) {
        for (const [key, item] of Object.entries(value)) {
          if (!known.has(key)) additional(item, pointer(path, key), issues);
        }
      }
    };
  },
  nullable(inner: Check): Check {
    return (value, path, issues) => {
      if (value !== null) inner(value, path, issues);
    };
  },
  /** Valid when at least one variant is; otherwise reports the closest variant's issues. */
  union(variants: readonly Check[]): Check {
    return (value, path, issues) => {
      let best: Issue[] | undefined;
      for (const variant of variants) {
        const found: Issue[] = [];
        variant(value, path, found);
        if (found.length === 0) return;
        if (best === undefined || found.length < best.length) best = found;
      }
      issues.push({ path, message: "matches none of the variants" }, ...(best ?? []));
    };
  },
  /** A union told apart by the value of `property`. */
  tagged(property: string, variants: { readonly [value: string]: Check }): Check {
    return (value, path, issues) => {
      if (!isRecord(value)) {
        issues.push({ path, message: `expected an object, found ${describe(value)}` });
        return;
      }
      const tag = own(value, property);
      const variant = typeof tag === "string" || typeof tag === "number" ? own(variants, String(tag)) : undefined;
      if (variant === undefined) {
        issues.push({ path: pointer(path, property), message: `unknown ${property} ${JSON.stringify(tag) ?? "undefined"}` });
        return;
      }
      variant(value, path, issues);
    };
  },
  /** Every check must pass (used for `allOf` and tagged frames). */
  all(checks: readonly Check[]): Check {
    return (value, path, issues) => {
      for (const c of checks) c(value, path, issues);
    };
  },
};

/** Runs `guard` over a value and returns the problems found (empty when valid). */
export function validate(guard: Check, value: unknown): Issue[] {
  const issues: Issue[] = [];
  guard(value, "", issues);
  return issues;
}

// ------------------------------------------------------------------------------- the client

// Declared here rather than taken from the DOM or Node typings, so the generated code compiles
// with any `lib` setting. At run time they are the platform's globals.
declare function setTimeout(callback: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

/**
 * An event handler property. Written as a method's type so that its parameter is compared
 * bivariantly: implementations declare richer event types (the DOM's `CloseEvent`, the `ws`
 * package's `WebSocket.CloseEvent`) than the fields the client reads.
 */
export type EventHandler<E> = { handle(event: E): void }["handle"];

/** The part of the WebSocket API the client uses (browsers, Node 22+, the `ws` package). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: EventHandler<unknown> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
  onerror: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Reconnect with exponential backoff after the connection drops (not after `close()`). */
export interface ReconnectOptions {
  /** Attempts before giving up (default: unlimited). */
  retries?: number;
  /** First delay (default 250 ms). */
  minDelayMs?: number;
  /** Longest delay (default 10 s). */
  maxDelayMs?: number;
  /** Growth of the delay per attempt (default 2). */
  factor?: number;
}

/** Options of a generated client. */
export interface ClientOptions {
  /** WebSocket implementation; defaults to `globalThis.WebSocket` (pass `ws` on older Node). */
  WebSocket?: WebSocketConstructor;
  /** Sub-protocols for the handshake. */
  protocols?: string | string[];
  /** How long `connect()` waits for the socket to open (default 10 s). */
  connectTimeoutMs?: number;
  /** How long `request()` waits for the reply (default 10 s). */
  requestTimeoutMs?: number;
  /** Reconnect after an unexpected close: `true` for the defaults, or tuning. Off by default. */
  reconnect?: boolean | ReconnectOptions;
  /** Check incoming frames against the spec (default true). Invalid frames go to `onInvalid`. */
  validate?: boolean;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides `requestTimeoutMs`. */
  timeoutMs?: number;
  /** Use this `ref` instead of a generated one. */
  ref?: string;
}

/** Envelope data of a received frame. */
export interface FrameMeta {
  /** `ref` of the client frame this frame answers, when the server echoed one. */
  ref?: string;
  /** The frame as received. */
  raw: string;
}

/** One item of a validation error frame (pydantic style). */
export interface ErrorItem {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

/** An `{"action":"error"}` frame: validation errors (a list) or a handler failure (`detail`). */
export interface ErrorFrame {
  action: "error";
  payload: ErrorItem[] | { detail: unknown };
  ref?: string;
}

/** A frame that could not be trusted: not JSON, unknown tag, or not matching the spec. */
export interface InvalidFrame {
  reason: "json" | "unknown" | "schema" | "binary";
  /** The frame as received (a string, or an ArrayBuffer for binary frames). */
  raw: unknown;
  /** Parsed JSON, when it parsed. */
  value?: unknown;
  /** Which message the frame claimed to be, when known. */
  key?: string;
  issues: Issue[];
}

/** Why a request failed. */
export class RequestError extends Error {
  /** The error frame, when the server answered with one. */
  readonly frame: ErrorFrame | undefined;
  constructor(message: string, frame?: ErrorFrame) {
    super(message);
    this.name = "RequestError";
    this.frame = frame;
  }
}

/** Removes the handler it was returned for. */
export type Unsubscribe = () => void;

/** The messages of one channel, as the generated code describes them. */
/** One message of a channel's table: key, guard and (untagged) the keys it declares. */
export type MessageEntry = readonly [key: string, guard: Check, declared?: readonly string[] | null];

export interface ChannelSpec {
  /** Address with `{param}` placeholders. */
  address: string | null;
  /** Tag property of client frames, `null` when they are told apart by shape. */
  clientTag: string | null;
  /** Tag property of server frames, `null` when they are told apart by shape. */
  serverTag: string | null;
  /** Client messages: key (tag value or message key), guard and, when untagged, the keys the
   * message declares (`null`: any). */
  client: ReadonlyArray<MessageEntry>;
  /** Server messages: key (tag value or message key), guard and, when untagged, the keys the
   * message declares (`null`: any). */
  server: ReadonlyArray<MessageEntry>;
  /** For each client key that expects a reply, the server keys that answer it. */
  replies: { readonly [clientKey: string]: readonly string[] };
}

const CONTROL_ACTIONS = ["complete", "group_complete", "event_complete"];

/** Fills `{param}` placeholders of an address and joins it to a base URL. */
export function buildUrl(base: string, address: string | null, params: { readonly [name: string]: string }): string {
  const path = (address ?? "").replace(/\{([^}]+)\}/g, (whole: string, name: string) => {
    const value = own(params, name);
    return value === undefined ? whole : encodeURIComponent(value);
  });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  if (path === "") return base;
  const trimmed = base.replace(/\/+$/, "");
  return path.startsWith("/") ? trimmed + path : `${trimmed}/${path}`;
}

interface Pending {
  expects: readonly string[];
  resolve: (frame: unknown) => void;
  reject: (error: Error) => void;
  timer: unknown;
}

type Listener = (...args: never[]) => void;

let refCounter = 0;

/**
 * Base class of the generated `<Channel>Client` classes. `S` maps each server message key to
 * its frame type; `C` is the union of client frames.
 */
export class ChanxClient<C, S> {
  readonly url: string;
  protected readonly options: ClientOptions;
  private readonly spec: ChannelSpec;
  private socket: WebSocketLike | null = null;
  private closedByUser = false;
  private attempts = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(url: string, options: ClientOptions, spec: ChannelSpec) {
    this.url = url;
    this.options = options;
    this.spec = spec;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === 1;
  }

  /** Opens the socket; resolves once it is open. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return this.open();
  }

  /** Closes the socket (no reconnect) and fails pending requests. */
  close(code = 1000, reason = ""): void {
    this.closedByUser = true;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) socket.close(code, reason);
    this.failPending(new RequestError("connection closed"));
  }

  /** Sends a frame. Throws when the socket is not open. */
  send(message: C): void {
    this.sendText(JSON.stringify(message));
  }

  /** Listens to one kind of server message. */
  on<K extends keyof S & string>(key: K, handler: (message: S[K], meta: FrameMeta) => void): Unsubscribe {
    return this.listen(`message:${key}`, handler);
  }

  /** Listens to every valid server message. */
  onMessage(handler: (message: S[keyof S], key: keyof S & string, meta: FrameMeta) => void): Unsubscribe {
    return this.listen("message", handler);
  }

  /** Listens to error frames (`{"action":"error"}`), whether or not they answer a request. */
  onError(handler: (frame: ErrorFrame, meta: FrameMeta) => void): Unsubscribe {
    return this.listen("error", handler);
  }

  /** Listens to frames that were rejected: not JSON, unknown tag, or not matching the spec. */
  onInvalid(handler: (frame: InvalidFrame) => void): Unsubscribe {
    return this.listen("invalid", handler);
  }

  /** Listens to the socket opening (also after a reconnect). */
  onOpen(handler: () => void): Unsubscribe {
    return this.listen("open", handler);
  }

  /** Listens to the socket closing; `willReconnect` tells whether a reconnect is scheduled. */
  onClose(handler: (code: number, reason: string, willReconnect: boolean) => void): Unsubscribe {
    return this.listen("close", handler);
  }

  /** Sends a frame with a `ref` and waits for the reply that echoes it. */
  protected sendRequest(message: C, options: RequestOptions = {}): Promise<unknown> {
    const key = this.keyOf(message, this.spec.clientTag, this.spec.client);
    const expects = key === undefined ? [] : own(this.spec.replies, key) ?? [];
    refCounter += 1;
    const ref = options.ref ?? `r${refCounter.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const frame = JSON.stringify({ ...(message as object), ref });
    return new Promise<unknown>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new RequestError(`no reply to ${key ?? "request"} (ref ${ref}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(ref, { expects, resolve, reject, timer });
      try {
        this.sendText(frame);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(ref);
        reject(error instanceof Error ? error : new RequestError(String(error)));
      }
    });
  }

  /** Sends a binary frame. */
  protected sendBytes(data: ArrayBuffer | ArrayBufferView): void {
    this.requireSocket().send(data);
  }

  /** Listens to binary frames. */
  protected listenBytes(handler: (data: ArrayBuffer) => void): Unsubscribe {
    return this.listen("binary", handler);
  }

  private requireSocket(): WebSocketLike {
    const socket = this.socket;
    if (socket === null || socket.readyState !== 1) throw new Error("not connected");
    return socket;
  }

  private sendText(text: string): void {
    this.requireSocket().send(text);
  }

  private listen(event: string, handler: Listener): Unsubscribe {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  private emit(event: string, ...args: unknown[]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const handler of [...set]) (handler as (...a: unknown[]) => void)(...args);
  }

  private open(): Promise<void> {
    const Ctor =
      this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) {
      return Promise.reject(new Error("no WebSocket implementation: pass options.WebSocket"));
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const socket = new Ctor(this.url, this.options.protocols);
      socket.binaryType = "arraybuffer";
      this.socket = socket;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        socket.onclose = null;
        socket.close();
        if (this.socket === socket) this.socket = null;
        reject(new Error(`connecting to ${this.url} timed out`));
      }, this.options.connectTimeoutMs ?? 10_000);
      socket.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.attempts = 0;
        this.emit("open");
        resolve();
      };
      socket.onmessage = (event) => this.receive(event.data);
      socket.onerror = () => undefined;
      socket.onclose = (event) => {
        clearTimeout(timer);
        if (this.socket === socket) this.socket = null;
        if (!settled) {
          settled = true;
          reject(new Error(`connection to ${this.url} closed before opening (${event.code})`));
          return;
        }
        this.failPending(new RequestError(`connection closed (${event.code})`));
        const delay = this.closedByUser ? null : this.nextDelay();
        this.emit("close", event.code, event.reason, delay !== null);
        if (delay !== null) setTimeout(() => this.reconnect(), delay);
      };
    });
  }

  private reconnect(): void {
    if (this.closedByUser) return;
    this.open().catch(() => {
      // A failed attempt closes too; `onclose` schedules the next one.
      const delay = this.closedByUser ? null : this.nextDelay();
      if (delay !== null) setTimeout(() => this.reconnect(), delay);
      else this.emit("close", 1006, "reconnect failed", false);
    });
  }

  private nextDelay(): number | null {
    const setting = this.options.reconnect;
    if (setting === undefined || setting === false) return null;
    const tuning: ReconnectOptions = setting === true ? {} : setting;
    if (tuning.retries !== undefined && this.attempts >= tuning.retries) return null;
    const min = tuning.minDelayMs ?? 250;
    const max = tuning.maxDelayMs ?? 10_000;
    const delay = Math.min(max, min * Math.pow(tuning.factor ?? 2, this.attempts));
    this.attempts += 1;
    return delay * (0.5 + Math.random() / 2);
  }

  private failPending(error: Error): void {
    for (const [ref, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(ref);
      pending.reject(error);
    }
  }

  private keyOf(
    value: unknown,
    tag: string | null,
    messages: ReadonlyArray<MessageEntry>,
  ): string | undefined {
    if (tag !== null) {
      const found = isRecord(value) ? own(value, tag) : undefined;
      if (typeof found !== "string" && typeof found !== "number") return undefined;
      const key = String(found);
      return messages.some(([k]) => k === key) ? key : undefined;
    }
    // Exactly one message: the one that accepts the frame, or among several the one that
    // declares every key of it (`ref` aside); otherwise none.
    const accepted = messages.filter(([, guard]) => validate(guard, value).length === 0);
    if (accepted.length <= 1) return accepted[0]?.[0];
    const keys = isRecord(value) ? Object.keys(value).filter((k) => k !== "ref") : [];
    const exact = accepted.filter(([, , declared]) => declared == null || keys.every((k) => declared.includes(k)));
    return exact.length === 1 ? exact[0]?.[0] : undefined;
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") {
      if (data instanceof ArrayBuffer) {
        if (this.listeners.get("binary")?.size) this.emit("binary", data);
        else this.emit("invalid", { reason: "binary", raw: data, issues: [] } satisfies InvalidFrame);
      } else if (isRecord(data) && typeof data["arrayBuffer"] === "function") {
        // A Blob, from an implementation that ignores `binaryType`.
        void (data["arrayBuffer"] as () => Promise<ArrayBuffer>)().then((buffer) => this.receive(buffer));
      }
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.emit("invalid", { reason: "json", raw: data, issues: [{ path: "", message }] } satisfies InvalidFrame);
      return;
    }
    const ref = isRecord(value) && typeof value["ref"] === "string" ? value["ref"] : undefined;
    const meta: FrameMeta = ref === undefined ? { raw: data } : { ref, raw: data };
    const pending = ref === undefined ? undefined : this.pending.get(ref);
    if (isRecord(value) && value["action"] === "error" && isErrorPayload(value["payload"])) {
      const frame = value as unknown as ErrorFrame;
      if (pending !== undefined && ref !== undefined) {
        this.settle(ref, pending);
        pending.reject(new RequestError(errorText(frame), frame));
      }
      this.emit("error", frame, meta);
      return;
    }
    const key = this.keyOf(value, this.spec.serverTag, this.spec.server);
    if (key === undefined) {
      if (isRecord(value) && CONTROL_ACTIONS.includes(String(value["action"]))) return;
      const tag = this.spec.serverTag;
      const issue =
        tag === null
          ? { path: "", message: "matches none of the server messages, or several that it cannot be told between" }
          : { path: `/${tag}`, message: `unknown ${tag} ${JSON.stringify(isRecord(value) ? own(value, tag) : undefined) ?? "undefined"}` };
      this.emit("invalid", { reason: "unknown", raw: data, value, issues: [issue] } satisfies InvalidFrame);
      return;
    }
    if (this.options.validate !== false && this.spec.serverTag !== null) {
      const guard = this.spec.server.find(([k]) => k === key)?.[1];
      const issues = guard === undefined ? [] : validate(guard, value);
      if (issues.length > 0) {
        this.emit("invalid", { reason: "schema", raw: data, value, key, issues } satisfies InvalidFrame);
        return;
      }
    }
    if (pending !== undefined && ref !== undefined && pending.expects.includes(key)) {
      this.settle(ref, pending);
      pending.resolve(value);
    }
    this.emit(`message:${key}`, value, meta);
    this.emit("message", value, key, meta);
  }

  private settle(ref: string, pending: Pending): void {
    clearTimeout(pending.timer);
    this.pending.delete(ref);
  }
}

function isErrorPayload(payload: unknown): boolean {
  if (Array.isArray(payload)) return payload.every((item) => isRecord(item) && typeof item["msg"] === "string");
  return isRecord(payload) && "detail" in payload;
}

function errorText(frame: ErrorFrame): string {
  const payload = frame.payload;
  if (Array.isArray(payload)) return payload.map((item) => `${item.loc.join(".")}: ${item.msg}`).join("; ");
  return typeof payload.detail === "string" ? payload.detail : JSON.stringify(payload.detail);
}
