/**
 * miso's client next to the official Python client (libpulsar underneath), same procedure on
 * both sides: produce N messages of one size with batching, as fast as each client takes them
 * (first send to last receipt), then drain them with a fresh subscription.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alternate, figure } from '../lib/stats.mjs';

const dist = new URL('../../dist/', import.meta.url);
const SCRIPT = fileURLToPath(new URL('python_peer.py', import.meta.url));

const topicOf = (what) => `persistent://public/default/bench-${what}-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;

async function misoSide(serviceUrl, topic, n, size) {
  const { PulsarClient } = await import(new URL('pulsar/index.js', dist));
  const client = new PulsarClient({ serviceUrl });
  try {
    const producer = await client.createProducer({ topic, maxPendingMessages: 10_000, batching: { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 } });
    const payload = Buffer.alloc(size, 0x61);
    let outstanding = 0;
    let wake;
    let failed;
    const start = performance.now();
    const all = [];
    for (let i = 0; i < n; i++) {
      while (outstanding >= 10_000) await new Promise((r) => (wake = r));
      outstanding++;
      all.push(
        producer.send({ payload }).then(
          () => {
            outstanding--;
            if (wake) {
              const w = wake;
              wake = undefined;
              w();
            }
          },
          (e) => {
            failed = e;
          },
        ),
      );
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    if (failed) throw failed;
    const produceS = (performance.now() - start) / 1000;
    await producer.close();
    const consumer = await client.subscribe({ topic, subscription: 'miso-peer', initialPosition: 'earliest', receiverQueueSize: 1000 });
    let got = 0;
    const t0 = performance.now();
    while (got < n) {
      const m = await consumer.receive(30_000);
      if (!m) throw new Error(`consume stalled at ${got}/${n}`);
      consumer.ack(m).catch(() => {});
      got++;
    }
    const consumeS = (performance.now() - t0) / 1000;
    await consumer.close();
    return { produce: n / produceS, consume: n / consumeS };
  } finally {
    await client.close();
  }
}

function pythonSide(python, serviceUrl, topic, n, size) {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, serviceUrl, topic, String(n), String(size)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`python peer exited ${code}: ${err.trim().split('\n').slice(-2).join(' ')}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(e);
      }
    });
  });
}

export async function run({ serviceUrl, adminUrl, python, n = 200_000, size = 100, runs = 3, log = () => {} }) {
  if (!python || !existsSync(python)) {
    if (process.env.CI === 'true') throw new Error('no Python pulsar-client in .venv (CI needs the peer)');
    log('python peer: no Python pulsar-client (.venv) — skipped');
    return [];
  }
  const label = size === 100 ? '100 B' : `${size} B`;
  const topics = [];
  const fresh = (what) => {
    const t = topicOf(what);
    topics.push(t);
    return t;
  };
  try {
    const r = await alternate(
      runs,
      {
        miso: () => misoSide(serviceUrl, fresh('py-miso'), n, size),
        peer: async () => {
          const p = await pythonSide(python, serviceUrl, fresh('py-peer'), n, size);
          return { produce: p.produce_msgs, consume: p.consume_msgs };
        },
      },
      (l) => log(`python peer:${l}`),
    );
    const k = `${n / 1000}k`;
    return [
      figure(
        `produce ${k} × ${label}, batching (first send → last receipt)`,
        'msg/s',
        r.miso.map((x) => x.produce),
        r.peer.map((x) => x.produce),
        { peerTool: 'Python pulsar-client' },
      ),
      figure(
        `consume the same ${k} with a fresh subscription, ack each`,
        'msg/s',
        r.miso.map((x) => x.consume),
        r.peer.map((x) => x.consume),
        { peerTool: 'Python pulsar-client' },
      ),
    ];
  } finally {
    for (const t of topics) await fetch(`${adminUrl}/admin/v2/${t.replace('://', '/')}?force=true`, { method: 'DELETE' }).catch(() => {});
  }
}
