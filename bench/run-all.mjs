#!/usr/bin/env node
/**
 * Every benchmark in bench/, one after the other against one local broker, with the peers
 * measured in the same run (pulsar-perf, the Java pulsar-client of the distribution, the Python
 * pulsar-client when .venv has it); writes bench/RESULTS.md, bench/report/results.json and a
 * chart of the workflow-latency distribution (bench/report/workflow-latency.svg).
 *
 *   npm run bench                      full run
 *   npm run bench -- --quick           bounded run (shorter phases, smaller backlogs)
 *   npm run bench -- --only client,workflow
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
import { latencyHistogramSvg, percentile } from './report/svg.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MISO = join(root, 'bin', 'miso.js');
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

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
  if (await answers(adminUrl)) return { serviceUrl, adminUrl, own: false, stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'miso-bench-broker-'));
  const env = { ...process.env, MISO_STATE_DIR: join(dir, 'state'), MISO_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1' };
  const port = await freePort();
  const webPort = await freePort();
  log(`no broker at ${adminUrl}; starting one with \`miso broker up\` on ${port}/${webPort}…`);
  const up = spawnSync(process.execPath, [MISO, 'broker', 'up', '--port', String(port), '--web-port', String(webPort), '--no-init', '--json'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (up.status !== 0) throw new Error('miso broker up failed');
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
const loadStart = (await import('node:os')).loadavg()[0].toFixed(2);
const b = await broker();
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
    about: 'Produce and consume throughput (batching on), publish latency at a fixed rate and consumer memory with a backlog, each next to `bin/pulsar-perf` on the same broker.',
    peerTool: 'pulsar-perf',
    run: async () => (await import('./client/index.mjs')).run(quick
      ? { seconds: 4, warmupSeconds: 1, consumeMessages: { 100: 200_000, 1024: 50_000 }, latencyRate: 1000, latencySeconds: 5, memoryBacklog: 50_000, log }
      : { log }),
  },
  {
    key: 'python',
    title: 'Pulsar client next to the Python client',
    about: 'The same procedure on both sides: produce N small messages with batching as fast as the client takes them, then drain them with a fresh subscription. The Python figures include the cost of one Python call per message, as a Python user would see it.',
    peerTool: 'Python pulsar-client',
    run: async () => (await import('./report/peers.mjs')).run({ serviceUrl: b.serviceUrl, adminUrl: b.adminUrl, python, n: quick ? 100_000 : 500_000, log }),
  },
  {
    key: 'devtools',
    title: 'Developer tools',
    about: '`miso send`, `miso tail` and `miso trace` as processes, next to the Java `bin/pulsar-client` of the distribution where there is one.',
    peerTool: 'Java pulsar-client',
    run: async () => (await import('./devtools/index.mjs')).run(quick ? { sends: 3, tailMessages: 100_000, traceMessages: 100_000, log } : { log }),
  },
  {
    key: 'workflow',
    title: 'Workflows through the four services',
    about: 'The services as separate `miso run` processes; latency from the tracking command to its payment.processed event. No peer implementation of these services exists.',
    run: async () => (await import('./workflow/index.mjs')).run(quick ? { seconds: 8, maxRate: 1000, log } : { log }),
  },
  {
    key: 'dashboard',
    title: 'Dashboard',
    about: 'Ingest and rendering of the live dashboard (store + Ink frames), soak at 5k msg/s then a ramp. No peer dashboard exists.',
    run: async () => (await import('./dashboard/index.mjs')).run(quick ? { durationSeconds: 30, rampSeconds: 3 } : {}),
  },
];

const results = [];
let latency;
let pulsarVersion;
try {
  pulsarVersion = (await (await fetch(`${b.adminUrl}/admin/v2/brokers/version`, { signal: AbortSignal.timeout(5000) })).text()).replace(/"/g, '').trim();
} catch { /* shown as unknown */ }
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

const reportDir = join(root, 'bench', 'report');
mkdirSync(reportDir, { recursive: true });
let chart;
if (latency && latency.samples.length > 0) {
  const sorted = [...latency.samples].sort((a, b) => a - b);
  const svg = latencyHistogramSvg(sorted, {
    title: `Workflow latency at ${latency.rate} workflows/s (${sorted.length} workflows)`,
    subtitle: `four services as separate processes · p50 ${percentile(sorted, 50).toFixed(1)} ms · p90 ${percentile(sorted, 90).toFixed(1)} ms · p99 ${percentile(sorted, 99).toFixed(1)} ms · max ${sorted.at(-1).toFixed(1)} ms`,
  });
  writeFileSync(join(reportDir, 'workflow-latency.svg'), svg);
  chart = 'report/workflow-latency.svg';
}

const machine = { ...machineInfo({ python: existsSync(python) ? python : undefined, adminVersion: pulsarVersion }), loadStart, loadEnd: (await import('node:os')).loadavg()[0].toFixed(2) };
const durationS = (Date.now() - started.getTime()) / 1000;
const data = {
  mode: quick ? 'quick' : 'full',
  startedAt: started.toISOString(),
  durationS,
  broker: b.own ? 'own standalone started for the run' : b.serviceUrl,
  machine,
  suites: results.map(({ run: _r, ...s }) => s),
  latency: latency ? { rate: latency.rate, seconds: latency.seconds, offered: latency.offered, unfinished: latency.unfinished, samples: latency.samples.map((v) => Math.round(v * 100) / 100) } : undefined,
};
writeFileSync(join(reportDir, 'results.json'), JSON.stringify(data, null, 2) + '\n');
const md = renderResults({ ...data, suites: results, chart, latency: data.latency });
writeFileSync(join(root, 'bench', 'RESULTS.md'), md);
log(`wrote bench/RESULTS.md (${Math.round(durationS)} s)`);
process.stdout.write(md);
process.exit(results.some((r) => r.error) ? 1 : 0);
