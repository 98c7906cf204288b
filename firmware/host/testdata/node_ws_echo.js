// A round trip with a non-Go client: Debian's node-ws against a wslab
// board's echo endpoint. Run: NODE_PATH=/usr/share/nodejs node node_ws_echo.js ws://HOST:PORT/ws
// Prints "ok" and exits 0 when every check passed.
"use strict";
const WebSocket = require("ws");

const url = process.argv[2];
const fail = (msg) => { console.error("node-ws: " + msg); process.exit(1); };
const timer = setTimeout(() => fail("timed out"), 30000);

// Text with multi-byte characters and binary, both larger than the
// board's receive buffer, so the board streams them back in pieces.
const text = "hello from node-ws \u00b5\u00df \u2713 \u{1F600} ".repeat(200);
const bin = Buffer.alloc(5000);
for (let i = 0; i < bin.length; i++) bin[i] = (i * 31 + (i >> 8)) & 255;

const ws = new WebSocket(url, { perMessageDeflate: true }); // offered; the board declines
let pongs = 0;
const got = [];
ws.on("open", () => {
  if (ws.extensions !== "") fail("extensions negotiated: " + ws.extensions);
  ws.ping(Buffer.from("node ping"));
  ws.send(text);
  ws.send(bin);
  ws.send("", { binary: false });
});
ws.on("pong", (data) => {
  if (data.toString() !== "node ping") fail("pong payload " + JSON.stringify(data.toString()));
  pongs++;
});
ws.on("message", (data, isBinary) => {
  got.push([data, isBinary]);
  if (got.length < 3) return;
  if (got[0][1] || got[0][0].toString("utf8") !== text) fail("text echo differs");
  if (!got[1][1] || !Buffer.from(got[1][0]).equals(bin)) fail("binary echo differs");
  if (got[2][1] || got[2][0].length !== 0) fail("empty text echo differs");
  ws.close(1000, "done");
});
ws.on("close", (code) => {
  clearTimeout(timer);
  if (code !== 1000) fail("close code " + code);
  if (pongs !== 1) fail(pongs + " pongs");
  if (got.length !== 3) fail(got.length + " messages");
  console.log("ok");
  process.exit(0);
});
ws.on("error", (e) => fail(e.message));
