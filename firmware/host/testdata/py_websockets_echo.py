"""A round trip with a non-Go client: Debian's python3-websockets against a
wslab board's echo endpoint. Run: python3 py_websockets_echo.py ws://HOST:PORT/ws
Prints "ok" and exits 0 when every check passed."""

import asyncio
import sys

import websockets


async def main(url):
    # permessage-deflate is offered by default; the board declines it.
    async with websockets.connect(url, max_size=2**20) as ws:
        if ws.response_headers.get("Sec-WebSocket-Extensions"):
            raise SystemExit("extensions negotiated")
        text = "hello from python-websockets \u00b5\u00df \u2713 \U0001F600 " * 150
        await ws.send(text)
        if await ws.recv() != text:
            raise SystemExit("text echo differs")
        data = bytes((i * 131 + (i >> 8)) & 255 for i in range(6000))
        await ws.send(data)
        if await ws.recv() != data:
            raise SystemExit("binary echo differs")
        # A fragmented message: the board echoes it whole.
        await ws.send(["frag", "ment", "ed \u2713"])
        if await ws.recv() != "fragmented \u2713":
            raise SystemExit("fragmented echo differs")
        pong = await ws.ping(b"py ping")
        await asyncio.wait_for(pong, 20)
        await ws.close(1000, "done")
        if ws.close_code != 1000:
            raise SystemExit("close code %s" % ws.close_code)
    print("ok")


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 30))
