// k6 side of `make compare-k6`: the same closed-loop echo as
// `wslab load --scenario echo`: VUS connections, each sends a SIZE-byte
// text message, waits for its echo and sends the next, for DURATION.
// Run by bench/comparek6 (when k6 is on the machine), which reads the summary it writes.
import { WebSocket } from 'k6/websockets';
import { Counter } from 'k6/metrics';

const target = __ENV.TARGET || 'ws://127.0.0.1:8080/ws';
const vus = parseInt(__ENV.VUS || '16');
const durationMs = parseInt(__ENV.DURATION_MS || '10000');
const payload = 'x'.repeat(parseInt(__ENV.SIZE || '64'));

const echoes = new Counter('echoes');

export const options = {
  scenarios: {
    echo: {
      executor: 'per-vu-iterations',
      vus: vus,
      iterations: 1,
      maxDuration: `${Math.ceil(durationMs / 1000) + 30}s`,
    },
  },
  summaryTrendStats: ['med', 'p(99)'],
};

export default function () {
  const ws = new WebSocket(target);
  ws.onopen = () => {
    ws.send(payload);
    setTimeout(() => ws.close(), durationMs);
  };
  ws.onmessage = () => {
    echoes.add(1);
    ws.send(payload);
  };
  ws.onerror = (e) => {
    console.error(`websocket error: ${e.error}`);
  };
}

export function handleSummary(data) {
  const out = {};
  out[__ENV.SUMMARY || 'k6-summary.json'] = JSON.stringify(data);
  return out;
}
