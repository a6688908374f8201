#!/usr/bin/env node
/**
 * Every benchmark in bench/, one after the other against one local broker, with the peers
 * measured in the same run (pulsar-perf, the Java pulsar-client of the distribution, the Python
 * pulsar-client when .venv has it); writes bench/RESULTS.md, bench/report/results.json and a
 * chart of the workflow-latency distribution (bench/report/workflow-latency.svg).
 *
 *   npm run bench                      full run (~20 min on 2 cores); the only run that writes
 *                                      bench/RESULTS.md and bench/report/
 *   npm run bench -- --machine-note "idle machine, nothing else running"
 *   npm run bench -- --quick           harness check: short phases, small backlogs, report in
 *                                      bench/out/RESULTS-quick.md marked NOT QUOTABLE
 *   npm run bench -- --only client,workflow   some suites (report in bench/out/)
 *   npm run bench -- --own-broker      a broker of its own even when one answers
 *
 * The broker: the one at MISO_TEST_SERVICE_URL / MISO_TEST_ADMIN_URL (default 127.0.0.1:6650
 * and :8080) when it answers, else one started here with `miso broker up` in a throw-away
 * state directory on free ports, and stopped at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './report/machine.mjs';
import { renderResults } from './report/render.mjs';
import { updateReadme } from './report/readme.mjs';
import { latencyHistogramSvg, percentile } from './report/svg.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MISO = join(root, 'bin', 'miso.js');
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const noteArg = process.argv.indexOf('--machine-note');
const machineNoteGiven = noteArg > 0 ? process.argv[noteArg + 1] : undefined;
const RUNS = 3;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
if (quick) log('QUICK RUN: short phases, small backlogs — a harness check, NOT QUOTABLE (bench/RESULTS.md is left alone)');

if (!existsSync(join(root, 'dist', 'pulsar', 'index.js'))) {
  log('dist/ is missing: run `npm run build` first (npm run bench does).');
  process.exit(1);
}

async function answers(adminUrl) {
  try {
    return (await fetch(`${adminUrl}/admin/v2/clusters`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A broker for the run: the running one, or our own. Returns its URLs and how to stop it. */
async function broker() {
  const serviceUrl = process.env.MISO_TEST_SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
  const adminUrl = process.env.MISO_TEST_ADMIN_URL ?? 'http://127.0.0.1:8080';
  const shared = { serviceUrl, adminUrl, own: false, stop: async () => {} };
  const sharedAnswers = await answers(adminUrl);
  // --own-broker: a broker of its own even when one answers (other work on the shared one
  // would share its CPU and disks with the figures, and the bench's load would slow that work).
  if (sharedAnswers && !process.argv.includes('--own-broker')) return shared;
  const dir = mkdtempSync(join(tmpdir(), 'miso-bench-broker-'));
  const env = { ...process.env, MISO_STATE_DIR: join(dir, 'state'), MISO_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1' };
  const port = await freePort();
  const webPort = await freePort();
  log(`${sharedAnswers ? 'a broker of its own' : `no broker at ${adminUrl}`}: starting one with \`miso broker up\` on ${port}/${webPort}…`);
  const up = spawnSync(process.execPath, [MISO, 'broker', 'up', '--port', String(port), '--web-port', String(webPort), '--no-init', '--json'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (up.status !== 0) {
    spawnSync(process.execPath, [MISO, 'broker', 'down'], { env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    if (sharedAnswers) {
      log(`miso broker up failed; using the broker at ${serviceUrl}`);
      return shared;
    }
    throw new Error('miso broker up failed');
  }
  return {
    serviceUrl: `pulsar://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${webPort}`,
    own: true,
    stop: async () => {
      spawnSync(process.execPath, [MISO, 'broker', 'down'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const started = new Date();
const os = await import('node:os');
const loadStart = os.loadavg()[0];
// Load average through the run: other work on the machine shows here.
const loads = [loadStart];
const loadSampler = setInterval(() => loads.push(os.loadavg()[0]), 10_000);
loadSampler.unref();
const b = await broker();
// Interrupted: still stop a broker started here.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    b.stop().finally(() => process.exit(130));
  });
}
// The suites read the broker from these (the client bench when its module loads).
process.env.MISO_TEST_SERVICE_URL = b.serviceUrl;
process.env.MISO_TEST_ADMIN_URL = b.adminUrl;
process.env.MISO_BENCH_SERVICE_URL = b.serviceUrl;
process.env.MISO_BENCH_ADMIN_URL = b.adminUrl;
const python = join(root, '.venv', 'bin', 'python');

const suites = [
  {
    key: 'client',
    title: 'Pulsar client',
    about:
      'Produce throughput (100 B and 1 KB, batching as miso\'s defaults on both sides: 1000 messages, 128 KiB, 1 ms; 10,000 in flight; the broker-acknowledged rate after the same warm-up) next to `bin/pulsar-perf produce` (`-bm 1000 -bb 131072 -b 1 -o 10000 --warmup-time` as the warm-up; unthrottled is `-r 100000000`, as pulsar-perf 4.0.8 refuses `-r 0` with "rate must be positive" yet exits 0 having sent nothing; the rate is its per-second "Ack received rate", not "Publish throughput" which counts messages written to the socket; a non-zero exit code, "Got error" or any send failure fails the run). Consume: one backlog per size produced once, each run drains it with a fresh Exclusive subscription from the earliest message (receiver queue 1000); per message both sides receive, read the payload\'s length (payload bytes are not read) and acknowledge without waiting; rate from first to last message; the peer is a minimal consumer on the distribution\'s Java client (`bench/client/JavaConsumer.java`, the client pulsar-perf uses). Publish latency at a fixed rate with the same warm-up dropped on both sides. Goals: produce and consume ≥ 1.5× the peer, publish p50 and p99 ≤ 1.0× the peer.',
    peerTool: 'pulsar-perf',
    run: async () => {
      const c = await import('./client/client-bench.mjs');
      return c.runClientBench({ ...(quick ? c.QUICK : c.FULL), runs: RUNS, log });
    },
  },
  {
    key: 'python',
    title: 'Pulsar client next to the Python client',
    about:
      'The same procedure on both sides: produce N 100-byte messages with batching (1000, 128 KiB, 1 ms) as fast as the client takes them (first send → last receipt), then drain them with a fresh subscription, acknowledging each (payloads not read). The Python figures include the cost of one Python call per message, as a Python user would see it.',
    peerTool: 'Python pulsar-client',
    run: async () =>
      (await import('./report/peers.mjs')).run({ serviceUrl: b.serviceUrl, adminUrl: b.adminUrl, python, n: quick ? 50_000 : 200_000, runs: RUNS, log }),
  },
  {
    key: 'devtools',
    title: 'Developer tools',
    about:
      '`miso send`, `miso tail` and `miso trace` as processes, next to the Java `bin/pulsar-client` of the distribution. `tail --json` and `pulsar-client read --schema-type auto_consume` (a reader too, decoding the Avro envelope) read the same batched messages, produced once and read by every run, into a pipe that counts them: process start-up (spawn → first message) apart from the steady decode rate (first → last message).',
    peerTool: 'Java pulsar-client',
    run: async () => {
      const d = await import('./devtools/index.mjs');
      return d.run({ ...(quick ? d.QUICK : d.FULL), runs: RUNS, log });
    },
  },
  {
    key: 'workflow',
    title: 'Workflows through the four services',
    about:
      'The services as separate `miso run` processes; latency from the tracking command to its payment.processed event. No peer implementation of these services exists.',
    run: async () => (await import('./workflow/index.mjs')).run(quick ? { seconds: 8, maxRate: 1000, log } : { seconds: 15, log }),
  },
  {
    key: 'dashboard',
    title: 'Dashboard',
    about:
      'The live dashboard in a process started like `miso dashboard` (its Node flags, React production build), drawing into a 160×50 terminal that discards output. Through the broker: its own readers on the 12 topics and real producers in the bench process (six catalog envelopes per workflow), the rate doubling per step; a step keeps up when ≥ 98 % of the acknowledged messages were ingested within 1 s of the end, lag p99 < 1 s, event-loop p99 < 250 ms and ≥ 5 frames/s. Injected: messages pushed straight into the store (no broker) — what the store + rendering alone cost. No peer dashboard exists.',
    run: async () =>
      (await import('./dashboard/index.mjs')).run(
        quick ? { quick: true, durationSeconds: 20, rampSeconds: 3, log } : { durationSeconds: 60, rampSeconds: 5, log },
      ),
  },
];

const results = [];
let latency;
let pulsarVersion;
try {
  pulsarVersion = (await (await fetch(`${b.adminUrl}/admin/v2/brokers/version`, { signal: AbortSignal.timeout(5000) })).text()).replace(/"/g, '').trim();
} catch {
  /* shown as unknown */
}
try {
  for (const s of suites) {
    if (only && !only.has(s.key)) continue;
    log(`── ${s.title} ──`);
    const t0 = performance.now();
    try {
      const rows = await s.run();
      results.push({ ...s, rows, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      log(`${s.title} failed: ${err?.stack ?? err}`);
      results.push({ ...s, rows: [], error: String(err?.message ?? err).split('\n')[0], seconds: (performance.now() - t0) / 1000 });
    }
  }
  latency = results.find((r) => r.key === 'workflow')?.rows.latency;
} finally {
  await b.stop();
}

clearInterval(loadSampler);
// Only a full run of every suite is quotable: anything else goes to bench/out/.
const quotable = !quick && !only;
const reportDir = quotable ? join(root, 'bench', 'report') : join(root, 'bench', 'out');
mkdirSync(reportDir, { recursive: true });
let chart;
if (latency && latency.samples.length > 0) {
  const sorted = [...latency.samples].sort((a, b) => a - b);
  const svg = latencyHistogramSvg(sorted, {
    title: `Workflow latency at ${latency.rate} workflows/s (${sorted.length} workflows)`,
    subtitle: `four services as separate processes · p50 ${percentile(sorted, 50).toFixed(1)} ms · p90 ${percentile(sorted, 90).toFixed(1)} ms · p99 ${percentile(sorted, 99).toFixed(1)} ms · max ${sorted.at(-1).toFixed(1)} ms`,
  });
  writeFileSync(join(reportDir, 'workflow-latency.svg'), svg);
  chart = quotable ? 'report/workflow-latency.svg' : 'workflow-latency.svg';
}

loads.push(os.loadavg()[0]);
const sortedLoads = [...loads].sort((a, b) => a - b);
const machine = {
  ...machineInfo({ python: existsSync(python) ? python : undefined, adminVersion: pulsarVersion }),
  loadStart: loadStart.toFixed(2),
  loadMin: sortedLoads[0].toFixed(2),
  loadMedian: sortedLoads[Math.floor(sortedLoads.length / 2)].toFixed(2),
  loadMax: sortedLoads.at(-1).toFixed(2),
  loadEnd: loads.at(-1).toFixed(2),
};
// Quiet: nothing else ran (the load average before the first suite started says so), unless told.
const quiet = process.argv.includes('--not-quiet') ? false : process.argv.includes('--quiet') ? true : loadStart < 0.5;
const machineNote =
  machineNoteGiven ??
  (quiet
    ? `load average ${loadStart.toFixed(2)} before the run started: nothing else was running.`
    : `load average ${loadStart.toFixed(2)} before the run started: other work was running, and figures move with it.`);
const command = `npm run bench${
  process.argv.slice(2).length
    ? ` -- ${process.argv
        .slice(2)
        .map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))
        .join(' ')}`
    : ''
}`;
const durationS = (Date.now() - started.getTime()) / 1000;
const data = {
  mode: quick ? 'quick' : 'full',
  quotable,
  command,
  startedAt: started.toISOString(),
  durationS,
  broker: b.own ? 'own standalone started for the run' : b.serviceUrl,
  machine,
  quiet,
  machineNote,
  runs: RUNS,
  suites: results.map(({ run: _r, ...s }) => s),
  latency: latency
    ? {
        rate: latency.rate,
        seconds: latency.seconds,
        offered: latency.offered,
        unfinished: latency.unfinished,
        samples: latency.samples.map((v) => Math.round(v * 100) / 100),
      }
    : undefined,
};
const md = renderResults({ ...data, suites: results, chart, latency: data.latency });
if (quotable) {
  writeFileSync(join(reportDir, 'results.json'), JSON.stringify(data, null, 2) + '\n');
  writeFileSync(join(root, 'bench', 'RESULTS.md'), md);
  updateReadme(join(root, 'README.md'), data);
  log(`wrote bench/RESULTS.md and the README's benchmark block (${Math.round(durationS)} s)`);
} else {
  // A quick or partial run never replaces the quotable report.
  const name = quick ? 'RESULTS-quick' : 'RESULTS-partial';
  writeFileSync(join(reportDir, `${name}.json`), JSON.stringify(data, null, 2) + '\n');
  writeFileSync(join(reportDir, `${name}.md`), md);
  log(`wrote bench/out/${name}.md (${Math.round(durationS)} s) — ${quick ? 'quick run: NOT QUOTABLE' : 'partial run'}; bench/RESULTS.md left as it was`);
}
process.stdout.write(md);
process.exit(results.some((r) => r.error || r.rows.some((x) => x.error)) ? 1 : 0);
