/**
 * `bin/pulsar-perf produce` of the distribution, run and read honestly:
 *
 * - the rate is the broker-acknowledged rate ("Ack received rate" of the client's per-second
 *   stats), not "Publish throughput" (messages written to the socket);
 * - intervals that start inside the warm-up are dropped, like on miso's side;
 * - pulsar-perf 4.0.8 answers `-r 0` with "rate must be positive", logs "Got error" and still
 *   exits 0 after sending nothing, so "unthrottled" is a rate no client on this machine
 *   reaches, and any "Got error" / send failure fails the run, as does a non-zero exit code.
 */
import { binOf } from './pulsar-home.mjs';
import { requireSamples } from './stats.mjs';
import { requireSuccess, runTool, tail } from './proc.mjs';

/** Far above what one producer reaches here: the rate limiter never waits. */
export const UNTHROTTLED = 100_000_000;

const JVM = { PULSAR_MEM: '-Xms256m -Xmx1g' };

/** `2026-11-30T07:03:33,348+0000` at the start of a log line → epoch ms. */
export function logTime(line) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3})([+-]\d{4})/.exec(line);
  if (!m) return undefined;
  return Date.parse(`${m[1]}.${m[2]}${m[3].slice(0, 3)}:${m[3].slice(3)}`);
}

/** Args that make pulsar-perf batch like miso's producer (`batching` = miso's settings). */
export function batchArgs(batching) {
  return ['-bm', String(batching.maxMessages), '-bb', String(batching.maxBytes), '-b', String(batching.maxDelayMs)];
}

function checkFailures(what, out) {
  if (/ERROR .*PerformanceProducer - Got error/.test(out)) throw new Error(`${what}: pulsar-perf reported an error:\n${tail(out)}`);
  if (/Write message error/.test(out)) throw new Error(`${what}: pulsar-perf failed to send messages:\n${tail(out)}`);
  for (const m of out.matchAll(/failure\s+([\d.]+) msg\/s/g)) {
    if (Number(m[1]) > 0) throw new Error(`${what}: pulsar-perf counted send failures (${m[1]} msg/s)`);
  }
}

/**
 * The acknowledged rate from the per-second producer stats lines: intervals that start at
 * least `warmupSeconds` after the producer was created, weighted by their length. The line the
 * producer prints when it closes (a partial interval, not on the timer thread) is left out.
 */
export function ackedRate(out, warmupSeconds, minIntervals) {
  const lines = out.split('\n');
  const createdLine = lines.find((l) => /PerformanceProducer - Created \d+ producers/.test(l));
  if (!createdLine) throw new Error(`pulsar-perf never created its producer:\n${tail(out)}`);
  const created = logTime(createdLine);
  const stats = lines
    .filter((l) => /\[pulsar-timer[^\]]*\] INFO\s+\S*ProducerStatsRecorderImpl .*Ack received rate: /.test(l))
    .map((l) => ({ t: logTime(l), rate: Number(/Ack received rate: ([\d.]+) ack\/s/.exec(l)?.[1]) }))
    .filter((s) => s.t !== undefined && Number.isFinite(s.rate));
  const from = created + warmupSeconds * 1000;
  let acked = 0;
  let span = 0;
  let n = 0;
  for (let i = 1; i < stats.length; i++) {
    if (stats[i - 1].t < from - 50) continue;
    const dt = (stats[i].t - stats[i - 1].t) / 1000;
    acked += stats[i].rate * dt;
    span += dt;
    n++;
  }
  requireSamples('pulsar-perf produce (per-second acknowledged rate)', n, minIntervals);
  return acked / span;
}

/** Unthrottled produce for `seconds`; msg/s acknowledged after the warm-up. */
export async function perfProduce({ home, serviceUrl, topic, size, seconds, warmupSeconds, batching, maxPending, minIntervals }) {
  const args = [
    'produce',
    '-u',
    serviceUrl,
    '-i',
    '1',
    '-r',
    String(UNTHROTTLED),
    '-o',
    String(maxPending),
    '-s',
    String(size),
    ...batchArgs(batching),
    '--warmup-time',
    String(warmupSeconds),
    '-time',
    String(seconds),
    topic,
  ];
  const r = await runPerf(home, 'pulsar-perf produce', args, seconds);
  return ackedRate(r.out, warmupSeconds, minIntervals);
}

/**
 * Fixed-rate produce; latency percentiles of messages acknowledged after the warm-up
 * (pulsar-perf's own `--warmup-time` rule: a latency counts when its ack arrives after
 * producer creation + warm-up). Also the number of messages acknowledged, to check the rate.
 */
export async function perfLatency({ home, serviceUrl, topic, rate, seconds, warmupSeconds, batching }) {
  const args = [
    'produce',
    '-u',
    serviceUrl,
    '-r',
    String(rate),
    '-s',
    '100',
    ...batchArgs(batching),
    '--warmup-time',
    String(warmupSeconds),
    '-time',
    String(seconds),
    topic,
  ];
  const r = await runPerf(home, 'pulsar-perf produce (latency)', args, seconds);
  const m = /Aggregated latency stats --- Latency: mean:\s*([\d.]+) ms - med:\s*([\d.]+) - 95pct:\s*([\d.]+) - 99pct:\s*([\d.]+)/.exec(r.out);
  const sent = /Aggregated throughput stats --- (\d+) records sent/.exec(r.out);
  if (!m || !sent) throw new Error(`pulsar-perf printed no aggregate latency:\n${tail(r.out)}`);
  const acked = Number(sent[1]);
  // A starved JVM falls behind its rate limiter: below half the messages there is too little to
  // report; between half and all, the rate it reached is reported beside its latencies.
  requireSamples(`pulsar-perf latency at ${rate} msg/s (messages acknowledged)`, acked, Math.floor(rate * seconds * 0.5));
  return { p50: Number(m[2]), p99: Number(m[4]), acked, reached: acked / seconds };
}

/** One pulsar-perf run that must exit 0 and report no send failure; its output. */
async function runPerf(home, what, args, seconds) {
  const r = await runTool(binOf(home, 'pulsar-perf'), args, { timeoutMs: (seconds + 120) * 1000, env: JVM });
  requireSuccess(what, r);
  checkFailures(what, r.out);
  return r;
}
