// The harness's own checks (no broker): `node --test bench/lib/harness.test.mjs`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ackedRate, logTime } from './perf.mjs';
import { alternate, figure, median, requireSamples, spread, TooFewSamples } from './stats.mjs';
import { countLines, markerCounter } from './stream.mjs';

const at = (s) => `2026-11-30T07:10:${String(s).padStart(2, '0')},000+0000`;
const statsLine = (s, rate, thread = 'pulsar-timer-8-1') =>
  `${at(s)} [${thread}] INFO  org.apache.pulsar.client.impl.ProducerStatsRecorderImpl - [t] [p] --- Publish throughput: ${rate * 2} msg/s --- 1 Mbit/s --- Ack received rate: ${rate} ack/s --- Failed messages: 0`;

test('log time stamps read as UTC epoch ms', () => {
  assert.equal(logTime('2026-11-30T07:03:33,348+0000 [main] INFO x'), Date.UTC(2026, 10, 30, 7, 3, 33, 348));
  assert.equal(logTime('no stamp'), undefined);
});

test('the acknowledged rate leaves out the warm-up and the closing line, and reads acks, not writes', () => {
  const out = [
    `${at(0)} [exec] INFO  org.apache.pulsar.testclient.PerformanceProducer - Created 1 producers`,
    statsLine(1, 10),
    statsLine(2, 20),
    statsLine(3, 1000),
    statsLine(4, 3000),
    statsLine(5, 5000),
    statsLine(6, 999_999, 'pulsar-perf-producer-exec-1-1'),
  ].join('\n');
  // Intervals starting at ≥ 2 s: 2→3 (1000), 3→4 (3000), 4→5 (5000).
  assert.equal(ackedRate(out, 2, 3), 3000);
  assert.throws(() => ackedRate(out, 2, 4), TooFewSamples);
  assert.throws(() => ackedRate('nothing', 2, 1), /never created its producer/);
});

test('alternate puts miso first in odd runs and the peer first in even runs', async () => {
  const calls = [];
  const r = await alternate(4, { miso: async (i) => (calls.push(`m${i}`), i), peer: async (i) => (calls.push(`p${i}`), 10 + i) });
  assert.deepEqual(calls, ['m0', 'p0', 'p1', 'm1', 'm2', 'p2', 'p3', 'm3']);
  assert.deepEqual(r.miso, [0, 1, 2, 3]);
  assert.deepEqual(r.peer, [10, 11, 12, 13]);
});

test('medians, spreads and figure rows', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.deepEqual(spread([5, 1, 3]).median, 3);
  const f = figure('x', 'msg/s', [100, 300, 200], [50, 100, 150]);
  assert.equal(f.miso, 200);
  assert.equal(f.misoMin, 100);
  assert.equal(f.peerMax, 150);
  assert.equal(f.ratio, 2);
  assert.throws(() => requireSamples('x', 1, 2), TooFewSamples);
  requireSamples('x', 2, 2);
});

test('message counters survive chunk boundaries', () => {
  assert.equal(countLines(Buffer.from('{"a":1}\n{"b":2}\n{"c"')), 2);
  const count = markerCounter();
  const text = '----- got message -----\nx\n----- got message -----\ny\n----- got message -----\n';
  let n = 0;
  for (let i = 0; i < text.length; i += 7) n += count(Buffer.from(text.slice(i, i + 7)));
  assert.equal(n, 3);
});
