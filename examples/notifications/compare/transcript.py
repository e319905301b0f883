"""Plays one frame script against a notifications server (the Chanx peer or ours) and prints
every frame sent and received, `created_at` masked. Usage: transcript.py ws://127.0.0.1:PORT"""
import asyncio, json, websockets, urllib.request
import sys, re
BASE=sys.argv[1].rstrip("/")
HTTP=BASE.replace("ws://","http://")
def mask(frame):
    """The frame re-serialized one way (both servers' spacing differs), `created_at` masked."""
    return re.sub(r'"created_at": "[^"]*"', '"created_at": "<time>"', json.dumps(json.loads(frame)))

async def recv_all(ws, t=1.0):
    out=[]
    while True:
        try: out.append(await asyncio.wait_for(ws.recv(), t))
        except asyncio.TimeoutError: return out
async def main():
    async with websockets.connect(f"{BASE}/ws/hub") as ws:
        for f in [
          {"version":1,"topic":"order:42","ref":"1","action":"subscribe"},
          {"version":1,"topic":"order:42","ref":"2","action":"subscribe"},
          {"topic":"order:42","action":"add_note","payload":{"note":"x"}},
          {"version":1,"topic":"order:42","ref":"5","action":"add_note","payload":{"note":"leave at door"}},
          {"version":1,"topic":"order:42","ref":"6","action":"add_note","payload":{"nope":1}},
          {"version":1,"topic":"order:42","ref":"6b","action":"bogus"},
          {"version":1,"topic":"order:43","ref":"7","action":"add_note","payload":{"note":"x"}},
          {"version":1,"topic":"secret:1","ref":"8","action":"subscribe"},
          {"version":1,"topic":"order:secret1","ref":"9","action":"subscribe"},
          {"version":1,"topic":"order:42","ref":"9b","action":"ping"},
          {"version":1,"ref":"10","action":"ping"},
          {"version":1,"ref":"10b","action":"add_note","payload":{"note":"x"}},
          {"topic":5,"ref":"11","action":"ping"},
          {"seq":"x","ref":"12","action":"ping"},
          {"seq":3,"ref":"12b","action":"ping"},
          {"topic":None,"ref":"13","action":"ping"},
          {"version":1,"topic":"order:43","ref":"14","action":"unsubscribe"},
        ]:
            await ws.send(json.dumps(f)); print(">>", json.dumps(f))
            for r in await recv_all(ws): print("<<", mask(r))
        urllib.request.urlopen(urllib.request.Request(f"{HTTP}/orders/42/status/shipped?seq=7", method="POST")).read()
        urllib.request.urlopen(urllib.request.Request(f"{HTTP}/orders/42/status/delivered", method="POST")).read()
        for r in await recv_all(ws): print("<< (published)", mask(r))
        f = {"version":1,"topic":"order:42","ref":"8","action":"unsubscribe"}
        await ws.send(json.dumps(f)); print(">>", json.dumps(f))
        for r in await recv_all(ws): print("<<", mask(r))
        f = {"version":1,"topic":"order:42","ref":"8b","action":"unsubscribe"}
        await ws.send(json.dumps(f)); print(">>", json.dumps(f))
        for r in await recv_all(ws): print("<<", mask(r))
    print("--- dedicated")
    async with websockets.connect(f"{BASE}/ws/orders/42") as ws:
        for r in await recv_all(ws): print("<<", mask(r))
        for f in [{"action":"add_note","payload":{"note":"y"},"ref":"a"},{"action":"ping"},{"topic":"order:42","action":"subscribe"},{"topic":"order:7","action":"subscribe"},{"action":"unsubscribe"}]:
            await ws.send(json.dumps(f)); print(">>", json.dumps(f))
            for r in await recv_all(ws): print("<<", mask(r))
    print("--- dedicated secret")
    try:
      async with websockets.connect(f"{BASE}/ws/orders/secret9") as ws:
        for r in await recv_all(ws): print("<<", mask(r))
    except Exception as e: print("closed:", type(e).__name__, getattr(getattr(e, "rcvd", None), "code", None))
    print("--- notifications")
    async with websockets.connect(f"{BASE}/ws/notifications/3?token=secret-3") as ws:
        for r in await recv_all(ws): print("<<", mask(r))
        urllib.request.urlopen(urllib.request.Request(f"{HTTP}/notify/3?title=hi", method="POST")).read()
        urllib.request.urlopen(urllib.request.Request(f"{HTTP}/announce?text=down", method="POST")).read()
        for r in await recv_all(ws): print("<< (event)", mask(r))
        f = {"action":"mark_read","payload":{"ids":[1]},"ref":"m"}
        await ws.send(json.dumps(f)); print(">>", json.dumps(f))
        for r in await recv_all(ws): print("<<", mask(r))
    try:
      async with websockets.connect(f"{BASE}/ws/notifications/3?token=bad") as ws:
        for r in await recv_all(ws): print("<<", mask(r))
    except Exception as e: print("closed:", type(e).__name__, getattr(getattr(e, "rcvd", None), "code", None))
asyncio.run(main())
