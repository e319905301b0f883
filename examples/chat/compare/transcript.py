"""Drives a chat server with a fixed script of frames and prints a normalized transcript.

Usage: python transcript.py ws://127.0.0.1:PORT
Two clients (A, B) join /ws/chat/lobby; C joins /ws/chat/other. Each frame in SCRIPT is sent by
A (or the named client); everything each client receives until 300 ms of quiet is printed with
sorted keys, the random `sender` replaced by "<sender>". Loopback only; stops by itself.
"""

import asyncio
import json
import sys

import websockets

SCRIPT = [
    ("A", '{"action":"ping"}'),
    ("A", '{"action":"ping","ref":"r1"}'),
    ("A", "not json"),
    ("A", '{"action":"nope"}'),
    ("A", '{"action":"nope","ref":"q2"}'),
    ("A", '{"payload":1}'),
    ("A", "[1,2]"),
    ("A", '{"action":5}'),
    ("A", '{"action":"ping","ref":5}'),
    ("A", '{"action":"ping","ref":null}'),
    ("A", '{"action":"ping","ref":"v","version":"x"}'),
    ("A", '{"action":"chat","payload":{"text":""}}'),
    ("A", '{"action":"echo","payload":{"text":""},"ref":"q"}'),
    ("A", '{"action":"chat","payload":{"text":5,"seq":"x"}}'),
    ("A", '{"action":"chat"}'),
    ("A", '{"action":"chat","payload":[]}'),
    ("A", '{"action":"chat","payload":{"text":"x","seq":1.5}}'),
    ("A", '{"action":"join","payload":{"room":"a b"}}'),
    ("A", '{"action":"echo","payload":{"text":"hi","seq":1,"sent_at":1.5},"ref":"e1"}'),
    ("A", '{"action":"chat","payload":{"text":"hey"}}'),
    ("A", '{"action":"chat","payload":{"text":"x","extra":1}}'),
    ("B", '{"action":"chat","payload":{"text":"from b","seq":7,"sent_at":2.5},"ref":"b1"}'),
    ("A", '{"action":"join","payload":{"room":"other"},"ref":"j"}'),
    ("C", '{"action":"chat","payload":{"text":"to other"}}'),
    ("A", '{"action":"leave","payload":{"room":"other"}}'),
    ("C", '{"action":"chat","payload":{"text":"after leave"}}'),
    ("A", b"\x00\x01binary"),
]


def normalize(raw):
    try:
        frame = json.loads(raw)
    except ValueError:
        return f"<non-json {raw!r}>"
    payload = frame.get("payload")
    if isinstance(payload, dict) and "sender" in payload:
        payload["sender"] = "<sender>"
    return json.dumps(frame, sort_keys=True, separators=(",", ":"))


async def drain(name, ws, out):
    while True:
        try:
            msg = await asyncio.wait_for(ws.recv(), 0.3)
        except asyncio.TimeoutError:
            return
        out.append(f"  {name} <- {normalize(msg)}")


async def main(url):
    async with (
        websockets.connect(url + "/ws/chat/lobby") as a,
        websockets.connect(url + "/ws/chat/lobby") as b,
        websockets.connect(url + "/ws/chat/other") as c,
    ):
        clients = {"A": a, "B": b, "C": c}
        await asyncio.sleep(0.3)
        for who, frame in SCRIPT:
            out = [f"{who} -> {frame!r}"]
            await clients[who].send(frame)
            for name, ws in clients.items():
                await drain(name, ws, out)
            print("\n".join(out), flush=True)


asyncio.run(main(sys.argv[1]))
