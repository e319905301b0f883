#!/usr/bin/env python3
"""Drives the same abuse at chat-server and at the Python Chanx reference peer, side by side.

Usage (run with the peer's venv, which has `websockets`):
  /tmp/chanx-peer-venv/bin/python scripts/abuse.py [--servers chat-server,chanx] [--idle N] [--json]
Env: CHAT_SERVER_BIN (default target-hard/debug/chat-server, then target/debug/chat-server),
     CHANX_PEER_START (default tools/peers/chanx/start.sh).
Each server is started on a free loopback port and stopped at the end. chat-server runs with
--rate-limit 200 (its rate limit is off by default) and --allowed-origin http://chat.example.
Prints a markdown table: one row per abuse, one column per server.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import websockets
from websockets.asyncio.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED = "http://chat.example"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    # The peer's start.sh execs uvicorn, so the pid is the server's.
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(name, port):
    if name == "chat-server":
        binary = os.environ.get("CHAT_SERVER_BIN")
        if not binary:
            for cand in ("target-hard/debug/chat-server", "target/debug/chat-server"):
                if os.path.exists(os.path.join(ROOT, cand)):
                    binary = os.path.join(ROOT, cand)
                    break
        cmd = [binary, "--addr", f"127.0.0.1:{port}", "--rate-limit", "200", "--allowed-origin", ALLOWED,
               "--handshake-timeout", "10"]
    else:
        peer = os.environ.get("CHANX_PEER_START", os.path.join(ROOT, "tools", "peers", "chanx", "start.sh"))
        cmd = [peer, str(port), "uvloop"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited early")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{name} did not listen on {port}")


class Raw:
    """A hand-written WebSocket client (masked frames with key 0): can stall and send bad frames."""

    def __init__(self, reader, writer, status):
        self.r, self.w, self.status = reader, writer, status

    @classmethod
    async def open(cls, port, path="/ws/chat/abuse", headers=(), rcvbuf=None):
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
        req += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        writer.write(req.encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        return cls(reader, writer, int(head.split()[1]))

    @staticmethod
    def frame(opcode, payload):
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | opcode, 0x80 | n])
        elif n <= 0xFFFF:
            head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        return head + b"\0\0\0\0" + payload

    async def send(self, opcode, payload):
        self.w.write(self.frame(opcode, payload))
        await self.w.drain()

    async def read_frame(self, timeout):
        async def one():
            h = await self.r.readexactly(2)
            n = h[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await self.r.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.r.readexactly(8), "big")
            return h[0] & 0x0F, await self.r.readexactly(n)
        try:
            return await asyncio.wait_for(one(), timeout)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            return None

    async def outcome(self, timeout=10):
        """What the server answers: 'close NNNN', 'error <type>', 'reply <action>', 'nothing', 'dropped'."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            f = await self.read_frame(deadline - time.time())
            if f is None:
                return "dropped (no close frame)" if self.r.at_eof() else "nothing"
            op, data = f
            if op == 0x8:
                if len(data) < 2:
                    return "close (no code)"
                reason = data[2:].decode(errors="replace")
                return f"close {int.from_bytes(data[:2], 'big')}" + (f" ({reason})" if reason else "")
            if op == 0x1:
                v = json.loads(data)
                if v.get("action") == "error":
                    p = v.get("payload")
                    if isinstance(p, list) and p:
                        return f"error `{p[0].get('type')}`: {p[0].get('msg', '')[:60]}"
                    return f"error {json.dumps(p)[:60]}"
                if v.get("action") in ("complete", "group_complete"):
                    continue
                return f"reply `{v.get('action')}`"
        return "nothing"

    async def eof_within(self, timeout):
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                data = await asyncio.wait_for(self.r.read(65536), deadline - time.time())
                if not data:
                    return True
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            return True
        return False

    def close(self):
        self.w.close()


async def alive(port):
    async with connect(f"ws://127.0.0.1:{port}/ws/chat/alive", max_size=None) as ws:
        await ws.send(json.dumps({"action": "ping"}))
        while True:
            v = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if v["action"] == "pong":
                return True


async def huge(port, pid):
    raw = await Raw.open(port)
    body = b'{"action":"echo","payload":{"text":"' + b"x" * (8 << 20) + b'"}}'
    before = rss_kib(pid)
    # Read while writing: a server that refuses at the header closes before the body is sent.
    answer = asyncio.create_task(raw.outcome(20))
    try:
        await raw.send(0x1, body)
    except ConnectionError:
        pass
    out = await answer
    raw.close()
    return f"{out} (RSS +{(rss_kib(pid) - before) // 1024} MiB)"


async def deep(port, pid):
    raw = await Raw.open(port)
    n = 100_000
    await raw.send(0x1, b'{"action":"echo","payload":' + b"[" * n + b"]" * n + b"}")
    out = await raw.outcome()
    raw.close()
    return out + ("; server alive" if await alive(port) else "; server DOWN")


async def bad_utf8(port, pid):
    raw = await Raw.open(port)
    await raw.send(0x1, b'{"action":"ping","x":"\xff\xfe"}')
    out = await raw.outcome()
    raw.close()
    return out


async def binary(port, pid):
    raw = await Raw.open(port)
    await raw.send(0x2, b"\x01\x02\x03")
    out = await raw.outcome()
    raw.close()
    return out


async def flood(port, pid):
    raw = await Raw.open(port)
    n = 1000
    raw.w.write(b"".join(Raw.frame(0x1, b'{"action":"ping"}') for _ in range(n)))
    await raw.w.drain()
    pongs = limited = 0
    close = "open"
    while True:
        f = await raw.read_frame(10)
        if f is None:
            close = "dropped" if raw.r.at_eof() else "open"
            break
        op, data = f
        if op == 0x8:
            close = f"close {int.from_bytes(data[:2], 'big')} ({data[2:].decode(errors='replace')})"
            break
        if op == 0x1:
            a = json.loads(data)
            if a.get("action") == "pong":
                pongs += 1
            elif a.get("action") == "error":
                limited += 1
        if pongs + limited >= n:
            break
    raw.close()
    return f"{n} pings at once: {pongs} pongs, {limited} errors, {close}"


async def stalled(port, pid):
    room = "stall"
    stalled = await Raw.open(port, f"/ws/chat/{room}", rcvbuf=4096)
    lines = 3000
    text = "x" * 2000
    healthy = [await connect(f"ws://127.0.0.1:{port}/ws/chat/{room}", max_size=None) for _ in range(3)]
    sender = await connect(f"ws://127.0.0.1:{port}/ws/chat/{room}", max_size=None)
    before = peak = rss_kib(pid)

    async def member(ws):
        got = 0
        try:
            while got < lines:
                v = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if v.get("action") == "chat_notification":
                    got += 1
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            pass
        return got

    readers = [asyncio.create_task(member(ws)) for ws in healthy]
    t0 = time.time()
    for seq in range(lines):
        # Each line waits for its reply, and the sender stays under chat-server's 200/s.
        await asyncio.sleep(max(0.0, t0 + seq / 180 - time.time()))
        await sender.send(json.dumps({"action": "chat", "payload": {"text": text, "seq": seq}}))
        while True:
            v = json.loads(await asyncio.wait_for(sender.recv(), 30))
            if v.get("action") in ("chat_notification", "error"):
                break
        if v.get("action") == "error":
            return f"sender refused at line {seq}: {json.dumps(v)[:80]}"
        if seq % 250 == 0:
            peak = max(peak, rss_kib(pid))
    got = await asyncio.gather(*readers)
    peak = max(peak, rss_kib(pid))
    elapsed = time.time() - t0
    t1 = time.time()
    dropped = await stalled.eof_within(60)
    gone_after = time.time() - t1
    for ws in healthy + [sender]:
        await ws.close()
    stalled.close()
    gone = f"disconnected ≤{gone_after:.0f} s after the flood" if dropped else "STILL CONNECTED 60 s after"
    return (f"healthy got {min(got)}/{lines}; stalled {gone}; "
            f"RSS {before // 1024}→{peak // 1024} MiB; {elapsed:.1f} s")


async def origin(port, pid):
    bad = await Raw.open(port, headers=[("Origin", "http://evil.example")])
    good = await Raw.open(port, headers=[("Origin", ALLOWED)])
    bad.close()
    good.close()
    return f"evil.example → {bad.status}, {ALLOWED.split('//')[1]} → {good.status}"


async def handshake(port, pid):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.time()
    try:
        data = await asyncio.wait_for(r.read(1), 20)
        out = f"dropped after {time.time() - t0:.0f} s" if not data else "got data"
    except asyncio.TimeoutError:
        out = "still open after 20 s"
    except ConnectionError:
        out = f"reset after {time.time() - t0:.0f} s"
    w.close()
    return out


async def idle(port, pid, n):
    before = rss_kib(pid)
    conns = []
    t0 = time.time()
    try:
        for _ in range(n):
            c = await Raw.open(port, "/ws/chat/idle")
            if c.status != 101:
                break
            conns.append(c)
            if time.time() - t0 > 120:
                break
    except (OSError, asyncio.TimeoutError) as e:
        print(f"idle: stopped at {len(conns)}: {e}", file=sys.stderr)
    after = rss_kib(pid)
    ok = await alive(port)
    for c in conns:
        c.close()
    per = (after - before) * 1024 // max(len(conns), 1)
    return f"{len(conns)}/{n} open, ~{per / 1024:.0f} KiB each, server {'responsive' if ok else 'UNRESPONSIVE'}"


ABUSES = [
    ("8 MiB text frame", huge),
    ("100,000-deep JSON nesting", deep),
    ("invalid UTF-8 text frame", bad_utf8),
    ("binary frame", binary),
    ("1,000 pings at once on one socket", flood),
    ("member stops reading, room flooded (3,000 × 2 KB)", stalled),
    ("cross-site Origin", origin),
    ("TCP connect, no HTTP request", handshake),
]


async def run(name, n_idle):
    port = free_port()
    proc = start(name, port)
    results = {}
    try:
        pid = proc.pid
        for label, fn in ABUSES:
            try:
                results[label] = await asyncio.wait_for(fn(port, pid), 180)
            except Exception as e:  # record, don't stop: the table is the point
                results[label] = f"FAILED: {type(e).__name__}: {e}"[:100]
            print(f"{name}: {label}: {results[label]}", file=sys.stderr)
        label = f"{n_idle:,} idle connections"
        try:
            results[label] = await asyncio.wait_for(idle(port, pid, n_idle), 180)
        except Exception as e:
            results[label] = f"FAILED: {type(e).__name__}: {e}"[:100]
        print(f"{name}: {label}: {results[label]}", file=sys.stderr)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", default="chat-server,chanx")
    ap.add_argument("--idle", type=int, default=2000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    servers = args.servers.split(",")
    table = {s: asyncio.run(run(s, args.idle)) for s in servers}
    if args.json:
        print(json.dumps(table, indent=1))
        return
    rows = list(next(iter(table.values())).keys())
    print("| abuse | " + " | ".join(servers) + " |")
    print("|---|" + "---|" * len(servers))
    for r in rows:
        print(f"| {r} | " + " | ".join(table[s].get(r, "").replace("|", "/") for s in servers) + " |")


if __name__ == "__main__":
    main()
