"""A board server in the shape of the project's origin (a MicroPython
loop): listen(1), accept one client, recv(1024) at a time, GET / PUT / POST
and a WebSocket echo upgrade; the next client waits in the listen backlog
until this one leaves. Files are kept in memory, as on a board without a
file system, so uploads grow the heap.

Usage: python3 single.py PORT
"""
import base64
import hashlib
import signal
import socket
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
files = {}


def recv_exact(c, n, pending):
    while len(pending) < n:
        chunk = c.recv(1024)
        if not chunk:
            raise ConnectionError("closed")
        pending += chunk
    return pending[:n], pending[n:]


def websocket(c, headers, pending):
    key = headers.get(b"sec-websocket-key", b"")
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    message, msg_op = b"", 0
    while True:
        head, pending = recv_exact(c, 2, pending)
        fin, op = head[0] & 0x80, head[0] & 0x0F
        n = head[1] & 0x7F
        if n == 126:
            ext, pending = recv_exact(c, 2, pending)
            n = struct.unpack(">H", ext)[0]
        elif n == 127:
            ext, pending = recv_exact(c, 8, pending)
            n = struct.unpack(">Q", ext)[0]
        mask, pending = recv_exact(c, 4, pending)
        data, pending = recv_exact(c, n, pending)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        if op == 8:
            c.sendall(b"\x88" + bytes([len(data)]) + data)
            return
        if op == 9:
            c.sendall(b"\x8a" + bytes([len(data)]) + data)
            continue
        if op == 10:
            continue
        if op != 0:
            msg_op = op
        message += data
        if not fin:
            continue
        n = len(message)
        if n < 126:
            out = bytes([0x80 | msg_op, n])
        elif n < 65536:
            out = bytes([0x80 | msg_op, 126]) + struct.pack(">H", n)
        else:
            out = bytes([0x80 | msg_op, 127]) + struct.pack(">Q", n)
        c.sendall(out + message)
        message = b""


def serve(c):
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(1024)
        if not chunk:
            return
        req += chunk
    head, body = req.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    method, path = lines[0].split(b" ")[:2]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    if headers.get(b"upgrade", b"").lower() == b"websocket":
        websocket(c, headers, body)
        return
    if method in (b"PUT", b"POST"):
        n = int(headers.get(b"content-length", b"0"))
        body = bytearray(body)
        while len(body) < n:
            chunk = c.recv(1024)
            if not chunk:
                return
            body += chunk
        files[path] = bytes(body)
        c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    if method == b"GET":
        page = files.get(path, b"<html><body>board</body></html>" if path == b"/" else None)
        if page is None:
            c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(page) + page)
        return
    c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
    while True:
        c, _ = s.accept()
        try:
            serve(c)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            c.close()


main()
