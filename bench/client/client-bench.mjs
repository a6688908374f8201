/**
 * Client benchmark: miso's Pulsar client next to the Java client's `pulsar-perf`, on the
 * same broker in the same run.
 *
 *   produce throughput   100 B and 1 KB payloads, batching on, for a fixed time
 *   consume throughput   draining the same backlog from the earliest message
 *   publish latency      p50 / p99 at a fixed rate
 *   consumer memory      peak RSS of a consumer draining a 100k-message backlog
 *
 * Run: `npm run build && node_modules/.bin/node bench/client/client-bench.mjs`
 * (env: MISO_BENCH_SERVICE_URL / MISO_TEST_SERVICE_URL, the admin URL likewise, PULSAR_HOME).
 * `runClientBench()` (also `run()` from ./index.mjs) returns `{ name, miso, peer, unit, ratio }[]`
 * for bench/run-all.mjs. Ratios are miso / peer: above 1 is better for throughput, below 1
 * for latency and memory (whose "peer" is the 100 MB goal).
 */
import { execFile, spawn } from 'node:child_process';
import { percentile } from '../report/svg.mjs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const run = promisify(execFile);

const defaults = {
  serviceUrl: process.env.MISO_BENCH_SERVICE_URL ?? process.env.MISO_TEST_SERVICE_URL ?? 'pulsar://127.0.0.1:6650',
  adminUrl: process.env.MISO_BENCH_ADMIN_URL ?? process.env.MISO_TEST_ADMIN_URL ?? 'http://127.0.0.1:8080',
  pulsarHome: process.env.PULSAR_HOME ?? '/root/.cache/miso/pulsar/apache-pulsar-4.0.8',
  /** Seconds per throughput run, and the first seconds left out of the rate (warm-up, both sides). */
  seconds: 8,
  warmupSeconds: 2,
  /** Messages drained per consume run. */
  consumeMessages: { 100: 1_000_000, 1024: 200_000 },
  /** Fixed publish rate for the latency comparison, and its duration. */
  latencyRate: 2000,
  latencySeconds: 10,
  memoryBacklog: 100_000,
};

async function loadClient() {
  const dist = join(root, 'dist', 'pulsar', 'index.js');
  if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first');
  return import(dist);
}

const topicName = (what) => `persistent://public/default/bench-${what}-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;

async function deleteTopic(adminUrl, topic) {
  await fetch(`${adminUrl}/admin/v2/${topic.replace('://', '/')}?force=true`, { method: 'DELETE' }).catch(() => {});
}

// ---------------------------------------------------------------------------------------
// miso

/** Publish as fast as possible for `seconds`, 10k messages in flight; msg/s after the warm-up. */
async function misoProduce(client, topic, size, seconds, warmup) {
  const window = 10_000;
  const producer = await client.createProducer({ topic, maxPendingMessages: window, batching: { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 } });
  const payload = Buffer.alloc(size, 0x61);
  let outstanding = 0;
  let acked = 0;
  let wake;
  const done = () => {
    outstanding--;
    acked++;
    if (wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let sent = 0;
  let warm;
  setTimeout(() => (warm = { at: performance.now(), acked }), warmup * 1000);
  while (performance.now() < stopAt) {
    for (let i = 0; i < 1000; i++) {
      while (outstanding >= window) await new Promise((r) => (wake = r));
      outstanding++;
      sent++;
      producer.send({ payload }).then(done);
    }
    // Let I/O run even when the window is never full.
    await new Promise((r) => setImmediate(r));
  }
  // Confirmed between the end of the warm-up and the end of the run.
  const end = { at: performance.now(), acked };
  await producer.close();
  const rate = (end.acked - warm.acked) / ((end.at - warm.at) / 1000);
  return { msgs: rate, bytes: rate * size, sent };
}

/** Fill a topic quickly (for the consume runs). */
async function fill(client, topic, size, n) {
  const producer = await client.createProducer({ topic, maxPendingMessages: 10_000, batching: { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 } });
  const payload = Buffer.alloc(size, 0x62);
  let outstanding = 0;
  let wake;
  for (let i = 0; i < n; i++) {
    while (outstanding >= 10_000) await new Promise((r) => (wake = r));
    outstanding++;
    producer.send({ payload }).then(() => {
      outstanding--;
      if (wake) {
        const w = wake;
        wake = undefined;
        w();
      }
    });
  }
  await producer.close();
}

/** Drain `n` messages from the earliest, acking each; from subscribe to the last message. */
async function misoConsume(client, topic, size, n) {
  const start = performance.now();
  const consumer = await client.subscribe({ topic, subscription: `miso-${Date.now()}`, type: 'Exclusive', initialPosition: 'earliest', receiverQueueSize: 1000 });
  for (let i = 0; i < n; i++) {
    const m = await consumer.receive();
    consumer.ack(m);
  }
  const elapsed = (performance.now() - start) / 1000;
  await consumer.close();
  return { msgs: n / elapsed, bytes: (n * size) / elapsed };
}

/** Publish at a fixed rate; latency from send() to the broker's receipt. */
async function misoLatency(client, topic, rate, seconds) {
  const producer = await client.createProducer({ topic, batching: { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 } });
  const payload = Buffer.alloc(100, 0x63);
  const latencies = [];
  const pending = [];
  const start = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now - start >= seconds * 1000) return resolve();
      const due = Math.floor(((now - start) / 1000) * rate);
      while (sent < due) {
        const t = performance.now();
        pending.push(producer.send({ payload }).then(() => latencies.push(performance.now() - t)));
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  await producer.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length };
}

/** Peak RSS of a fresh process that drains `n` 1 KB messages with a default consumer. */
async function misoConsumerMemory(serviceUrl, topic, n) {
  const script = `
    const { PulsarClient } = await import(${JSON.stringify(join(root, 'dist', 'pulsar', 'index.js'))});
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const client = new PulsarClient({ serviceUrl: ${JSON.stringify(serviceUrl)} });
    const c = await client.subscribe({ topic: ${JSON.stringify(topic)}, subscription: 'memory', initialPosition: 'earliest' });
    for (let i = 0; i < ${n}; i++) { const m = await c.receive(); c.ack(m); }
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(sample);
    await client.close();
    console.log(JSON.stringify({ peakRss: peak }));
  `;
  const node = process.execPath;
  const { stdout } = await run(node, ['--input-type=module', '-e', script], { timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').pop()).peakRss;
}

// ---------------------------------------------------------------------------------------
// pulsar-perf (the Java client)

function perf(pulsarHome, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(pulsarHome, 'bin', 'pulsar-perf'), args, { env: { ...process.env, PULSAR_MEM: '-Xms256m -Xmx1g' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.on('error', reject);
  });
}

/** Per-second client stats lines (`-i 1`): the mean publish rate after the warm-up. */
async function perfProduce(o, topic, size, seconds, warmup) {
  const out = await perf(o.pulsarHome, ['produce', '-u', o.serviceUrl, '-i', '1', '-r', '10000000', '-o', '10000', '-s', String(size), '-time', String(seconds), topic], (seconds + 90) * 1000);
  const rates = [...out.matchAll(/Publish throughput: ([\d.]+) msg\/s/g)].map((m) => Number(m[1]));
  if (rates.length === 0) throw new Error(`pulsar-perf produce printed no throughput:\n${out.slice(-2000)}`);
  // Leave out the warm-up seconds, and the last interval (cut short by the end of the run).
  const full = rates.length > warmup + 2 ? rates.slice(warmup, -1) : rates;
  const msgs = full.reduce((a, b) => a + b, 0) / full.length;
  return { msgs, bytes: msgs * size };
}

async function perfConsume(o, topic, size, n) {
  const out = await perf(o.pulsarHome, ['consume', '-u', o.serviceUrl, '-ss', `perf-${Date.now()}`, '-sp', 'Earliest', '-m', String(n), topic], 300_000);
  const m = /Aggregated throughput stats --- (\d+) records received --- ([\d.]+) msg\/s/.exec(out);
  if (!m) throw new Error(`pulsar-perf consume printed no aggregate:\n${out.slice(-2000)}`);
  const msgs = Number(m[2]);
  return { msgs, bytes: msgs * size };
}

async function perfLatency(o, topic, rate, seconds) {
  const out = await perf(o.pulsarHome, ['produce', '-u', o.serviceUrl, '-r', String(rate), '-s', '100', '-time', String(seconds), topic], (seconds + 90) * 1000);
  const m = /Aggregated latency stats --- Latency: mean:\s*([\d.]+) ms - med:\s*([\d.]+) - 95pct:\s*([\d.]+) - 99pct:\s*([\d.]+)/.exec(out);
  if (!m) throw new Error(`pulsar-perf printed no latency:\n${out.slice(-2000)}`);
  return { p50: Number(m[2]), p99: Number(m[4]) };
}

// ---------------------------------------------------------------------------------------

export async function runClientBench(options = {}) {
  const o = { ...defaults, ...options };
  const log = o.log ?? ((l) => process.stderr.write(`${l}\n`));
  const { PulsarClient } = await loadClient();
  const client = new PulsarClient({ serviceUrl: o.serviceUrl });
  const results = [];
  const add = (name, miso, peer, unit) => {
    // Throughput: above 1 is better; latency and memory: below 1 is better.
    const ratio = miso / peer;
    results.push({ name, miso: Number(miso.toFixed(2)), peer: Number(peer.toFixed(2)), unit, ratio: Number(ratio.toFixed(2)) });
    log(`${name}: miso ${miso.toFixed(2)} ${unit}, peer ${peer.toFixed(2)} ${unit}, ratio ${ratio.toFixed(2)}`);
  };
  const topics = [];
  const fresh = (what) => {
    const t = topicName(what);
    topics.push(t);
    return t;
  };
  try {
    for (const size of [100, 1024]) {
      const label = size === 100 ? '100 B' : '1 KB';
      const m = await misoProduce(client, fresh(`miso-produce-${size}`), size, o.seconds, o.warmupSeconds);
      const p = await perfProduce(o, fresh(`perf-produce-${size}`), size, o.seconds, o.warmupSeconds);
      add(`produce throughput ${label} (batching)`, m.msgs, p.msgs, 'msg/s');
      add(`produce throughput ${label} (batching)`, m.bytes / 1e6, p.bytes / 1e6, 'MB/s');

      const n = o.consumeMessages[size];
      const backlog = fresh(`consume-${size}`);
      await fill(client, backlog, size, n);
      const mc = await misoConsume(client, backlog, size, n);
      const pc = await perfConsume(o, backlog, size, n);
      add(`consume throughput ${label} (backlog of ${n})`, mc.msgs, pc.msgs, 'msg/s');
      add(`consume throughput ${label} (backlog of ${n})`, mc.bytes / 1e6, pc.bytes / 1e6, 'MB/s');
    }
    const ml = await misoLatency(client, fresh('miso-latency'), o.latencyRate, o.latencySeconds);
    const pl = await perfLatency(o, fresh('perf-latency'), o.latencyRate, o.latencySeconds);
    add(`publish latency p50 at ${o.latencyRate} msg/s`, ml.p50, pl.p50, 'ms');
    add(`publish latency p99 at ${o.latencyRate} msg/s`, ml.p99, pl.p99, 'ms');

    const memTopic = fresh('memory');
    await fill(client, memTopic, 1024, o.memoryBacklog);
    const rss = await misoConsumerMemory(o.serviceUrl, memTopic, o.memoryBacklog);
    // No peer here: the comparison is with the goal (100 MB).
    add(`consumer peak RSS draining ${o.memoryBacklog} x 1 KB (peer = goal)`, rss / 1e6, 100, 'MB');
  } finally {
    await client.close();
    for (const t of topics) await deleteTopic(o.adminUrl, t);
  }
  return results.map((r) => ({ ...r, name: `client: ${r.name}` }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await runClientBench();
  console.table(results);
}
