// The Node.js peer of `make compare-k6`, the stand-in for k6 (k6 is under
// the AGPL and is not run here): the same closed-loop echo as k6's script
// (loadgen/k6/echo.js) and `wslab load --scenario echo`. CONNS connections
// each send a SIZE-byte message, wait for its echo and send the next, for
// DURATION_MS; then each stops sending, waits for the echo in flight and
// closes with 1000, so that its counts are the server's exactly.
//
// It uses ws's fastest path: binary frames from one preallocated Buffer
// (TEXT=1 sends a preallocated string instead), no permessage-deflate, no
// UTF-8 validation of what comes back, Nagle off, and WORKERS worker threads
// (default 1) sharing the connections, as k6 runs its VUs in parallel.
//
// Run (Debian's node-ws): NODE_PATH=/usr/share/nodejs node node_echo.js
// with TARGET, CONNS, SIZE, DURATION_MS, WORKERS, TEXT in the environment.
// It prints one JSON line {"conns","opened","sent","received","errors"} and
// exits 0 only when every connection opened, echoed and closed cleanly.
"use strict";
const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");

const env = process.env;
const num = (name, def) => {
  const v = env[name] === undefined || env[name] === "" ? def : Number(env[name]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`node_echo: ${name}=${env[name]} is not a positive integer`);
    process.exit(2);
  }
  return v;
};

if (isMainThread) {
  const target = env.TARGET;
  if (!target || !/^wss?:\/\//.test(target)) {
    console.error("node_echo: TARGET must be a ws:// URL");
    process.exit(2);
  }
  const conns = num("CONNS", 16);
  const size = num("SIZE", 64);
  const durationMs = num("DURATION_MS", 10000);
  const workers = Math.min(num("WORKERS", 1), conns);
  const text = env.TEXT === "1";
  // A bound on the whole run: never hang the caller.
  const guard = setTimeout(() => {
    console.error("node_echo: timed out");
    process.exit(1);
  }, durationMs + 30000);

  const total = { conns, opened: 0, sent: 0, received: 0, errors: 0 };
  let done = 0;
  const ready = [];
  const pool = [];
  for (let i = 0; i < workers; i++) {
    const n = Math.floor(conns / workers) + (i < conns % workers ? 1 : 0);
    const w = new Worker(__filename, { workerData: { target, conns: n, size, text } });
    pool.push(w);
    w.on("message", (m) => {
      if (m.type === "opened") {
        ready.push(m);
        // Every worker's connections are open: start them together.
        if (ready.length === workers) {
          for (const x of pool) x.postMessage({ type: "start", durationMs });
        }
        return;
      }
      if (m.errors > 0 && ready.length < workers) {
        // A connection failed before the start: the others wait for ever.
        process.stdout.write(JSON.stringify({ ...total, opened: m.opened, errors: m.errors }) + "\n");
        process.exit(1);
      }
      total.opened += m.opened;
      total.sent += m.sent;
      total.received += m.received;
      total.errors += m.errors;
      if (++done === workers) {
        clearTimeout(guard);
        process.stdout.write(JSON.stringify(total) + "\n");
        const clean = total.errors === 0 && total.opened === conns && total.sent === total.received && total.received > 0;
        process.exit(clean ? 0 : 1);
      }
    });
    w.on("error", (e) => {
      console.error("node_echo: worker: " + (e && e.stack ? e.stack : e));
      process.exit(1);
    });
  }
} else {
  const WebSocket = require("ws");
  const { target, conns, size, text } = workerData;
  const payload = text ? "x".repeat(size) : Buffer.alloc(size, 0x78);
  const opts = { binary: !text, compress: false, fin: true, mask: true };
  let opened = 0, sent = 0, received = 0, errors = 0, closed = 0;
  let stopping = false;
  const socks = [];

  const report = () => {
    if (++closed === conns) parentPort.postMessage({ type: "done", opened, sent, received, errors });
  };
  for (let i = 0; i < conns; i++) {
    const ws = new WebSocket(target, { perMessageDeflate: false, skipUTF8Validation: true });
    socks.push(ws);
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        report();
      }
    };
    ws.on("open", () => {
      ws._socket.setNoDelay(true);
      if (++opened === conns) parentPort.postMessage({ type: "opened" });
    });
    ws.on("message", () => {
      received++;
      if (stopping) {
        ws.close(1000);
        return;
      }
      sent++;
      ws.send(payload, opts);
    });
    ws.on("error", (e) => {
      errors++;
      console.error("node_echo: " + e.message);
      end();
    });
    ws.on("close", end);
  }
  parentPort.on("message", (m) => {
    if (m.type !== "start") return;
    for (const ws of socks) {
      sent++;
      ws.send(payload, opts);
    }
    setTimeout(() => {
      stopping = true;
    }, m.durationMs);
  });
}
