#!/usr/bin/env node
/**
 * Dashboard benchmark, two parts:
 *
 * 1. end to end through the broker (through-broker.mjs): the dashboard's own readers on the
 *    12 topics, real producers, a ramp — the headline ingest figure;
 * 2. below, the store + rendering alone, messages injected in-process (no broker, no
 *    readers): what a steady 5k msg/s costs (CPU share, RSS over the run) and the ceiling of
 *    the store + Ink part by itself.
 *
 * Each message is real: Avro bytes of a catalog envelope (six per tracking workflow, with
 * correlation and causation ids), decoded by the monitor's `observe`, pushed into the store,
 * while the full dashboard renders at ≤ 10 frames/s into a 160×50 terminal that discards
 * output. The broker is left out on purpose: this measures the dashboard, not the network.
 *
 * "Keeps up" at a rate means, over the phase: ≥ 98 % of the offered messages ingested on
 * time, event-loop delay p99 < 250 ms (keys still answered), and ≥ 5 frames/s drawn.
 *
 * Run:  npm run build && node bench/dashboard/index.mjs [--duration 300] [--ramp-seconds 5]
 * (the soak at 5k msg/s runs first, on a fresh process, then the ramp; a screen capture
 * under load is written to bench/out/dashboard-capture.txt).
 * There is no peer tool to compare with (no Java/Python dashboard over these topics), so
 * rows carry `peer: null`.
 */
import { NullKeyboard, NullTerminal } from '../lib/null-tty.mjs';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createElement } from 'react';
import { render, renderToString } from 'ink';

const dist = new URL('../../dist/', import.meta.url);
const { DashboardStore } = await import(new URL('ui/dashboard/store.js', dist));
const { DashboardApp } = await import(new URL('ui/dashboard/App.js', dist));
const { observe, watchedTopics } = await import(new URL('core/monitor.js', dist));
const { trackingChain, encode } = await import(new URL('core/catalog/index.js', dist));
const { DASHBOARD_NODE_FLAGS } = await import(new URL('ui/dashboard/run.js', dist));

/** A pool of encoded workflows: [watched topic, raw message] in the order services write them. */
function messagePool(workflows) {
  const scope = { tenant: 'miso-1-2025', namespace: 'default' };
  const topics = new Map(watchedTopics(scope).map((t) => [t.short, t]));
  const pool = [];
  let entry = 0;
  for (let i = 0; i < workflows; i++) {
    for (const { topic: short, env } of trackingChain()) {
      const id = ++entry;
      pool.push([topics.get(short), { messageId: { toString: () => `9:${id}:-1:-1` }, payload: encode(short, env), properties: {}, publishTime: Date.now() }]);
    }
  }
  return { pool, topics: [...topics.values()] };
}

function mb(bytes) {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/**
 * Offer `rate` msg/s for `seconds` to a live dashboard. Returns what it managed.
 * Messages are pushed in small slices on a 5 ms cadence so rendering and input interleave
 * as they would with readers delivering from sockets.
 */
async function phase({ store, pool, rate, seconds, frames }) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const frames0 = frames.count;
  const rss = [];
  let sent = 0;
  let cursor = 0;
  let nextSample = t0;
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const now = performance.now();
    const due = Math.floor(((now - t0) / 1000) * rate);
    // Deliver what is due, in slices, the way a socket's data events would.
    const slice = Math.min(due - sent, Math.max(50, Math.ceil(rate / 100)));
    for (let i = 0; i < slice; i++) {
      const [topic, raw] = pool[cursor];
      cursor = (cursor + 1) % pool.length;
      store.message(observe(topic, { ...raw, publishTime: Date.now() }));
    }
    sent += Math.max(0, slice);
    if (now >= nextSample) {
      rss.push(process.memoryUsage().rss);
      if (process.env.BENCH_HEAP && globalThis.gc) {
        globalThis.gc();
        process.stderr.write(`heap ${mb(process.memoryUsage().heapUsed)} MB rss ${mb(rss.at(-1))} MB\n`);
      }
      nextSample += 1000;
    }
    await new Promise((r) => setTimeout(r, due - sent > 0 ? 0 : 5));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const offered = rate * wall;
  const drawn = (frames.count - frames0) / wall;
  return {
    rate,
    seconds: wall,
    ingested: sent / wall,
    onTime: sent / offered,
    loopP99Ms: loop.percentile(99) / 1e6,
    framesPerSec: drawn,
    cpuShare: (cpu.user + cpu.system) / 1e6 / wall,
    rss,
    keptUp: sent / offered >= 0.98 && loop.percentile(99) / 1e6 < 250 && drawn >= 5,
  };
}

/** The measurement itself, in this process (run it under the dashboard's Node flags). */
export async function measure(opts = {}) {
  const soakSeconds = opts.durationSeconds ?? 300;
  const rampSeconds = opts.rampSeconds ?? 5;
  const log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
  const { pool, topics } = messagePool(2_000);
  const info = { serviceUrl: 'pulsar://127.0.0.1:6650', adminUrl: 'http://127.0.0.1:8080', profile: 'bench', tenant: 'miso-1-2025', namespace: 'default' };
  const store = new DashboardStore(info, topics);
  store.connection({ broker: 'connected', admin: 'ok' });
  const stdout = new NullTerminal();
  const frames = { count: 0 };
  const ink = render(createElement(DashboardApp, { store, onQuit: () => {}, color: true }), {
    stdout,
    stdin: new NullKeyboard(),
    stderr: new NullTerminal(),
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 30,
    interactive: true,
    onRender: () => {
      frames.count++;
    },
  });

  // Soak at 5k msg/s: CPU share and whether RSS stays flat.
  const soak = await phase({ store, pool, rate: 5000, seconds: soakSeconds, frames });
  const warm = soak.rss[Math.min(soak.rss.length - 1, Math.max(1, Math.floor(soak.rss.length * 0.2)))];
  const last = soak.rss.at(-1);
  const peak = Math.max(...soak.rss);
  log(
    `soak 5000 msg/s for ${soak.seconds.toFixed(0)} s: ingested ${Math.round(soak.ingested)} msg/s, CPU ${(soak.cpuShare * 100).toFixed(1)} % of one core, ${soak.framesPerSec.toFixed(1)} frames/s, RSS after warm-up ${mb(warm)} MB → end ${mb(last)} MB (peak ${mb(peak)} MB), loop p99 ${soak.loopP99Ms.toFixed(0)} ms`,
  );

  // Ramp: double the rate until the dashboard no longer keeps up.
  let best;
  for (let rate = 2500; rate <= 640_000; rate *= 2) {
    const r = await phase({ store, pool, rate, seconds: rampSeconds, frames });
    log(
      `ramp ${String(rate).padStart(6)} msg/s: ingested ${Math.round(r.ingested)} (${(r.onTime * 100).toFixed(1)} % on time), loop p99 ${r.loopP99Ms.toFixed(0)} ms, ${r.framesPerSec.toFixed(1)} frames/s, CPU ${(r.cpuShare * 100).toFixed(0)} %, RSS ${mb(r.rss.at(-1))} MB → ${r.keptUp ? 'keeps up' : 'falls behind'}`,
    );
    if (!r.keptUp) break;
    best = r;
  }

  ink.unmount();

  // A picture of the screen under load, for the README.
  const capture = renderToString(createElement(DashboardApp, { store, onQuit: () => {}, color: false, size: { columns: 160, rows: 50 } }), { columns: 160 });
  const outDir = fileURLToPath(new URL('../out/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}dashboard-capture.txt`, capture + '\n');

  return [
    {
      name: 'dashboard: highest ingest, injected into the store (no broker: store + render only)',
      miso: best ? best.rate : 0,
      peer: null,
      unit: 'msg/s',
      ratio: null,
      goal: '≥ 10000',
      ok: (best?.rate ?? 0) >= 10_000,
    },
    {
      name: `dashboard: CPU share at 5k msg/s, injected (${Math.round(soak.seconds)} s soak, ${Math.round(soak.ingested)} msg/s ingested)`,
      miso: Math.round(soak.cpuShare * 1000) / 10,
      peer: null,
      unit: '% of one core',
      ratio: null,
    },
    {
      name: 'dashboard: RSS at 5k msg/s, injected (end of soak)',
      miso: mb(last),
      peer: null,
      unit: 'MB',
      ratio: null,
      goal: '< 200',
      ok: peak < 200 * 1048576,
    },
    {
      name: 'dashboard: RSS growth after warm-up at 5k msg/s, injected',
      miso: mb(last - warm),
      peer: null,
      unit: 'MB',
      ratio: null,
      goal: 'flat (bounded buffers)',
    },
  ];
}

/**
 * Run the measurement in a child process started the way `miso dashboard` runs (its Node
 * flags, React's production build), so CPU and RSS are the dashboard's own. Returns rows for
 * bench/run-all.mjs: `{ name, miso, peer, unit, ratio }`.
 */
export async function run(opts = {}) {
  const log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
  const through = await import('./through-broker.mjs');
  log('through the broker: readers on the 12 topics, producers at a doubling rate…');
  // Each part is reported on its own: one that fails does not take the other with it.
  let e2eRows;
  try {
    e2eRows = (await through.run({ ...(opts.quick ? through.QUICK : through.FULL), log })).rows;
  } catch (err) {
    log(`through the broker did not complete: ${err?.stack ?? err}`);
    e2eRows = [{ name: 'dashboard: highest ingest through the broker', unit: '', miso: null, peer: null, error: String(err?.message ?? err).split('\n')[0] }];
  }
  log(`store + render alone (injected, no broker): soak at 5k msg/s for ${opts.durationSeconds ?? 300} s, then a ramp…`);
  const args = [
    ...DASHBOARD_NODE_FLAGS,
    fileURLToPath(import.meta.url),
    '--child',
    '--duration',
    String(opts.durationSeconds ?? 300),
    '--ramp-seconds',
    String(opts.rampSeconds ?? 5),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`dashboard bench child exited with ${code}`);
  return [...e2eRows, ...JSON.parse(out)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const opts = { durationSeconds: arg('duration', 300), rampSeconds: arg('ramp-seconds', 5) };
  if (process.argv.includes('--child')) {
    process.stdout.write(JSON.stringify(await measure(opts)));
    process.exit(0);
  }
  const rows = await run(opts);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(52)} ${String(r.miso).padStart(9)} ${r.unit}${r.goal ? `  (goal ${r.goal}${r.ok === undefined ? '' : r.ok ? ', met' : ', NOT met'})` : ''}`,
    );
  process.exit(0);
}
