/**
 * Client benchmark: miso's Pulsar client next to the Java client on the same broker, in the
 * same run, each figure the median of several runs with the order of the two sides
 * alternated (miso first in run 1, the peer first in run 2, …), printed with min–max.
 *
 *   produce throughput   100 B and 1 KB, batching as miso's defaults (1000 messages,
 *                        128 KiB, 1 ms) on both sides, 10,000 messages in flight, unthrottled,
 *                        for a fixed time; the broker-acknowledged rate after the same warm-up
 *                        (peer: `bin/pulsar-perf produce`, its "Ack received rate" lines)
 *   consume throughput   one backlog per size, produced once and drained by every run with a
 *                        fresh Exclusive subscription from the earliest message, receiver
 *                        queue 1000; per message both sides receive, read the payload's length
 *                        (not its bytes) and acknowledge without waiting; first → last message
 *                        (peer: the minimal Java consumer in JavaConsumer.java, on the
 *                        distribution's Java client — the client pulsar-perf uses)
 *   publish latency      p50 / p99 at a fixed rate, the same warm-up dropped on both sides
 *                        (a latency counts when its ack arrives after creation + warm-up,
 *                        pulsar-perf's `--warmup-time` rule)
 *   consumer memory      peak RSS of a process draining a 1 KB backlog (compared with a goal)
 *
 * Run: `npm run build && node bench/client/client-bench.mjs [--quick]`.
 * `runClientBench()` returns rows `{ name, unit, miso, misoMin, misoMax, peer, peerMin, … }`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { percentile } from '../report/svg.mjs';
import { alternate, figure, median, requireSamples } from '../lib/stats.mjs';
import { libOf, pulsarHome } from '../lib/pulsar-home.mjs';
import { perfLatency, perfProduce } from '../lib/perf.mjs';
import { requireSuccess, runTool } from '../lib/proc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const execFileP = promisify(execFile);

/** miso's producer defaults (src/pulsar/producer.ts); pulsar-perf gets the same. */
const BATCHING = { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 };
const IN_FLIGHT = 10_000;

export const FULL = {
  runs: 3,
  /** Seconds per produce run, of which the first `warmupSeconds` are not counted (both sides). */
  seconds: 10,
  warmupSeconds: 2,
  consumeMessages: { 100: 1_000_000, 1024: 250_000 },
  latencyRate: 2000,
  latencySeconds: 12,
  latencyWarmupSeconds: 2,
  memoryBacklog: 100_000,
};

export const QUICK = {
  ...FULL,
  runs: 3,
  seconds: 6,
  warmupSeconds: 2,
  consumeMessages: { 100: 200_000, 1024: 50_000 },
  latencySeconds: 5,
  latencyWarmupSeconds: 1,
  memoryBacklog: 50_000,
};

const topicName = (what) => `persistent://public/default/bench-${what}-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;

async function deleteTopic(adminUrl, topic) {
  await fetch(`${adminUrl}/admin/v2/${topic.replace('://', '/')}?force=true`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).catch(() => {});
}

/** At least this many one-second intervals after the warm-up, or the run is refused. */
const minIntervals = (seconds, warmup) => Math.max(2, Math.floor((seconds - warmup) * 0.6));

// ---------------------------------------------------------------------------------------
// miso

/**
 * Publish as fast as the producer takes messages for `seconds`, `IN_FLIGHT` in flight.
 * The acknowledged count is sampled every second; the rate is the acknowledged messages
 * between the end of the warm-up and the end of the run over that time.
 */
async function misoProduce(client, topic, size, seconds, warmupSeconds) {
  const producer = await client.createProducer({ topic, maxPendingMessages: IN_FLIGHT, batching: BATCHING });
  const payload = Buffer.alloc(size, 0x61);
  let outstanding = 0;
  let acked = 0;
  let failed;
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
  const samples = [];
  const sampler = setInterval(() => samples.push({ at: performance.now(), acked }), 1000);
  try {
    while (performance.now() < stopAt && !failed) {
      for (let i = 0; i < 1000; i++) {
        while (outstanding >= IN_FLIGHT) await new Promise((r) => (wake = r));
        outstanding++;
        producer.send({ payload }).then(done, (e) => (failed = e));
      }
      // Let I/O run even when the window is never full.
      await new Promise((r) => setImmediate(r));
    }
    samples.push({ at: performance.now(), acked });
  } finally {
    clearInterval(sampler);
  }
  if (failed) throw failed;
  await producer.close();
  const after = samples.filter((s) => s.at >= start + warmupSeconds * 1000 - 50);
  requireSamples('miso produce (per-second acknowledged count)', after.length - 1, minIntervals(seconds, warmupSeconds));
  const first = after[0];
  const last = after.at(-1);
  return (last.acked - first.acked) / ((last.at - first.at) / 1000);
}

/** Fill a topic once (the consume runs all drain it). */
async function fill(client, topic, size, n) {
  const producer = await client.createProducer({ topic, maxPendingMessages: IN_FLIGHT, batching: BATCHING });
  const payload = Buffer.alloc(size, 0x62);
  let outstanding = 0;
  let failed;
  let wake;
  for (let i = 0; i < n && !failed; i++) {
    while (outstanding >= IN_FLIGHT) await new Promise((r) => (wake = r));
    outstanding++;
    producer.send({ payload }).then(
      () => {
        outstanding--;
        if (wake) {
          const w = wake;
          wake = undefined;
          w();
        }
      },
      (e) => (failed = e),
    );
  }
  await producer.close();
  if (failed) throw failed;
}

/** Drain `n` messages from the earliest with a fresh subscription: receive, read the length, ack. */
async function misoConsume(client, topic, n) {
  const consumer = await client.subscribe({
    topic,
    subscription: `miso-${Date.now()}-${Math.random().toString(16).slice(2, 6)}`,
    type: 'Exclusive',
    initialPosition: 'earliest',
    receiverQueueSize: 1000,
  });
  let first = 0;
  let got = 0;
  let bytes = 0;
  let ackFailed = 0;
  const counted = () => ackFailed++;
  while (got < n) {
    const m = await consumer.receive(30_000);
    if (!m) break;
    if (got === 0) first = performance.now();
    bytes += m.payload.length;
    consumer.ack(m).catch(counted);
    got++;
  }
  const last = performance.now();
  await consumer.close();
  if (got !== n) throw new Error(`miso consume received ${got} of ${n} messages`);
  if (ackFailed) throw new Error(`miso consume: ${ackFailed} acknowledgements failed`);
  if (bytes === 0) throw new Error('miso consume: empty payloads');
  return (n - 1) / ((last - first) / 1000);
}

/** Fixed-rate publishing; a latency counts when its ack arrives after creation + warm-up. */
async function misoLatency(client, topic, rate, seconds, warmupSeconds) {
  const producer = await client.createProducer({ topic, batching: BATCHING });
  const payload = Buffer.alloc(100, 0x63);
  const latencies = [];
  const pending = [];
  const start = performance.now();
  const warmEnd = start + warmupSeconds * 1000;
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now - start >= seconds * 1000) return resolve();
      const due = Math.floor(((now - start) / 1000) * rate);
      while (sent < due) {
        const t = performance.now();
        pending.push(
          producer.send({ payload }).then(() => {
            const at = performance.now();
            if (at > warmEnd) latencies.push(at - t);
          }),
        );
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  await producer.close();
  requireSamples(`miso latency at ${rate} msg/s (messages acknowledged)`, sent, Math.floor(rate * seconds * 0.9));
  requireSamples(`miso latency at ${rate} msg/s (after the warm-up)`, latencies.length, Math.floor(rate * (seconds - warmupSeconds) * 0.9));
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Peak RSS of a fresh process that drains `n` 1 KB messages with a default consumer. */
async function misoConsumerMemory(serviceUrl, topic, n) {
  const script = `
    const { PulsarClient } = await import(${JSON.stringify(join(root, 'dist', 'pulsar', 'index.js'))});
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const client = new PulsarClient({ serviceUrl: ${JSON.stringify(serviceUrl)} });
    const c = await client.subscribe({ topic: ${JSON.stringify(topic)}, subscription: 'memory', initialPosition: 'earliest' });
    for (let i = 0; i < ${n}; i++) { const m = await c.receive(30000); if (!m) throw new Error('stalled at ' + i); c.ack(m); }
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(sample);
    await client.close();
    console.log(JSON.stringify({ peakRss: peak }));
  `;
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script], { timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').pop()).peakRss;
}

// ---------------------------------------------------------------------------------------
// Java

async function compileJavaConsumer(home) {
  const dir = mkdtempSync(join(tmpdir(), 'miso-bench-java-'));
  const r = await runTool('javac', ['-cp', join(libOf(home), '*'), '-d', dir, join(here, 'JavaConsumer.java')], { timeoutMs: 120_000 });
  requireSuccess('javac JavaConsumer.java', r);
  return dir;
}

async function javaConsume(home, classes, serviceUrl, topic, n) {
  const r = await runTool(
    'java',
    [
      '-Xms256m',
      '-Xmx1g',
      '-cp',
      `${classes}:${join(libOf(home), '*')}`,
      'JavaConsumer',
      serviceUrl,
      topic,
      `java-${Date.now()}-${Math.random().toString(16).slice(2, 6)}`,
      String(n),
    ],
    { timeoutMs: 300_000 },
  );
  requireSuccess('Java consumer', r);
  const line = r.out.split('\n').find((l) => l.startsWith('{"received"'));
  if (!line) throw new Error(`Java consumer printed no result:\n${r.out.slice(-1500)}`);
  const res = JSON.parse(line);
  if (res.received !== n) throw new Error(`Java consumer received ${res.received} of ${n}`);
  return (n - 1) / (res.firstToLastMs / 1000);
}

// ---------------------------------------------------------------------------------------

export async function runClientBench(options = {}) {
  const o = { ...FULL, ...options };
  const serviceUrl = o.serviceUrl ?? process.env.MISO_BENCH_SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
  const adminUrl = o.adminUrl ?? process.env.MISO_BENCH_ADMIN_URL ?? 'http://127.0.0.1:8080';
  const log = o.log ?? ((l) => process.stderr.write(`${l}\n`));
  const home = await pulsarHome();
  const { PulsarClient } = await import(join(root, 'dist', 'pulsar', 'index.js'));
  const client = new PulsarClient({ serviceUrl });
  const classes = await compileJavaConsumer(home);
  const rows = [];
  const add = (row) => {
    rows.push(row);
    log(
      `  ${row.name}: miso ${row.miso} [${row.misoMin}–${row.misoMax}] ${row.unit}, peer ${row.peer} [${row.peerMin}–${row.peerMax}], miso/peer ${row.ratio}`,
    );
  };
  const topics = [];
  const fresh = (what) => {
    const t = topicName(what);
    topics.push(t);
    return t;
  };
  const once = async (what, fn) => {
    const t = fresh(what);
    try {
      return await fn(t);
    } finally {
      // Each produce run writes up to GBs; free them before the next run.
      await deleteTopic(adminUrl, t);
    }
  };
  // A figure that fails (too few samples, a peer that errs) is reported as such; the others stand.
  const section = async (names, fn) => {
    try {
      await fn();
    } catch (err) {
      const error = String(err?.message ?? err).split('\n')[0];
      log(`  ${[names].flat().join(', ')} did not complete: ${err?.stack ?? err}`);
      for (const name of [names].flat()) rows.push({ name, unit: '', miso: null, peer: null, error });
    }
  };
  try {
    for (const size of [100, 1024]) {
      const label = size === 100 ? '100 B' : '1 KB';
      await section(`produce ${label}, batching, acknowledged`, async () => {
        log(`produce ${label}: ${o.runs} runs × ${o.seconds} s per side (first ${o.warmupSeconds} s not counted)…`);
        const p = await alternate(
          o.runs,
          {
            miso: () => once(`miso-produce-${size}`, (t) => misoProduce(client, t, size, o.seconds, o.warmupSeconds)),
            peer: () =>
              once(`perf-produce-${size}`, (t) =>
                perfProduce({
                  home,
                  serviceUrl,
                  topic: t,
                  size,
                  seconds: o.seconds,
                  warmupSeconds: o.warmupSeconds,
                  batching: BATCHING,
                  maxPending: IN_FLIGHT,
                  minIntervals: minIntervals(o.seconds, o.warmupSeconds),
                }),
              ),
          },
          log,
        );
        add(
          figure(`produce ${label}, batching, acknowledged`, 'msg/s', p.miso, p.peer, {
            peerTool: 'pulsar-perf produce',
            goal: '≥ 1.5× peer',
            ok: median(p.miso) >= 1.5 * median(p.peer),
          }),
        );
        add(
          figure(
            `produce ${label}, batching, acknowledged`,
            'MB/s',
            p.miso.map((v) => (v * size) / 1e6),
            p.peer.map((v) => (v * size) / 1e6),
            { peerTool: 'pulsar-perf produce' },
          ),
        );
      });

      const n = o.consumeMessages[size];
      await section(`consume ${label}, backlog of ${n.toLocaleString('en-US')}, ack each`, async () => {
        const backlog = fresh(`consume-${size}`);
        log(`consume ${label}: filling a backlog of ${n} once…`);
        await fill(client, backlog, size, n);
        const c = await alternate(
          o.runs,
          {
            miso: () => misoConsume(client, backlog, n),
            peer: () => javaConsume(home, classes, serviceUrl, backlog, n),
          },
          log,
        );
        add(
          figure(`consume ${label}, backlog of ${n.toLocaleString('en-US')}, ack each`, 'msg/s', c.miso, c.peer, {
            peerTool: 'Java client (JavaConsumer.java)',
            goal: '≥ 1.5× peer',
            ok: median(c.miso) >= 1.5 * median(c.peer),
          }),
        );
        await deleteTopic(adminUrl, backlog);
      });
    }

    await section(
      ['p50', 'p99'].map((q) => `publish latency ${q} at ${o.latencyRate.toLocaleString('en-US')} msg/s`),
      async () => {
        log(`publish latency at ${o.latencyRate} msg/s: ${o.runs} runs × ${o.latencySeconds} s per side (first ${o.latencyWarmupSeconds} s not counted)…`);
        const l = await alternate(
          o.runs,
          {
            miso: () => once('miso-latency', (t) => misoLatency(client, t, o.latencyRate, o.latencySeconds, o.latencyWarmupSeconds)),
            peer: () =>
              once('perf-latency', (t) =>
                perfLatency({
                  home,
                  serviceUrl,
                  topic: t,
                  rate: o.latencyRate,
                  seconds: o.latencySeconds,
                  warmupSeconds: o.latencyWarmupSeconds,
                  batching: BATCHING,
                }),
              ),
          },
          log,
        );
        const slow = l.peer.filter((r) => r.reached < o.latencyRate * 0.95);
        const note = slow.length
          ? `pulsar-perf fell behind its rate in ${slow.length} of ${o.runs} runs, reaching ${slow.map((r) => Math.round(r.reached)).join(' / ')} msg/s of ${o.latencyRate}`
          : undefined;
        for (const q of ['p50', 'p99']) {
          const m = l.miso.map((r) => r[q]);
          const pr = l.peer.map((r) => r[q]);
          add(
            figure(`publish latency ${q} at ${o.latencyRate.toLocaleString('en-US')} msg/s`, 'ms', m, pr, {
              peerTool: 'pulsar-perf produce -r',
              goal: '≤ 1.0× peer',
              ok: median(m) <= median(pr),
              ...(note ? { note } : {}),
            }),
          );
        }
      },
    );

    await section('consumer peak RSS', async () => {
      const memTopic = fresh('memory');
      await fill(client, memTopic, 1024, o.memoryBacklog);
      const rss = await misoConsumerMemory(serviceUrl, memTopic, o.memoryBacklog);
      rows.push({
        name: `consumer peak RSS draining ${o.memoryBacklog.toLocaleString('en-US')} × 1 KB (one run)`,
        unit: 'MB',
        miso: Math.round(rss / 1e5) / 10,
        peer: null,
        goal: '< 100',
        ok: rss / 1e6 < 100,
      });
      log(`  consumer peak RSS ${(rss / 1e6).toFixed(1)} MB`);
    });
  } finally {
    await client.close();
    rmSync(classes, { recursive: true, force: true });
    for (const t of topics) await deleteTopic(adminUrl, t);
  }
  return rows.map((r) => ({ ...r, name: `client: ${r.name}` }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runClientBench(process.argv.includes('--quick') ? QUICK : FULL);
  console.table(
    rows.map(({ name, unit, miso, misoMin, misoMax, peer, peerMin, peerMax, ratio }) => ({
      name,
      unit,
      miso: `${miso} [${misoMin}–${misoMax}]`,
      peer: peer === null ? '—' : `${peer} [${peerMin}–${peerMax}]`,
      ratio,
    })),
  );
}
