import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { paths, SERVICES, type ResolvedConfig, type ServiceName } from '../config/index.js';
import { brokerUp } from '../broker/commands.js';
import { DEFAULTS } from '../config/index.js';
import { initCluster } from '../core/init.js';
import { Publisher, WorkflowWatch, type Published } from '../core/publisher.js';
import { openAdmin, openClient } from '../core/connect.js';
import type { Trace } from '../core/trace.js';
import { MisoError, ProcessError, TimeoutError, UnreachableError } from '../errors.js';
import { DEFAULT_PORTS } from './runner.js';

/**
 * `miso demo`: the whole system on this machine in one command. Starts the local broker when
 * none answers (only for the default local URLs), runs init, starts the four services as
 * separate `miso run` processes — the shape they have in production, each with its own
 * database, port and outbox producer — drives a scripted workflow through them and reports
 * the causal trace of each workflow and the totals. A second run adds a new campaign to the
 * same services' databases.
 */

export interface DemoOptions {
  cfg: ResolvedConfig;
  /** Leave the services running after the demo. */
  keep?: boolean;
  /** Where the demo services keep their databases and logs (default `<state dir>/demo`). */
  dataDir?: string;
  /** Tracking events per kind and video. */
  views?: number;
  clicks?: number;
  conversions?: number;
  /** Payment provider failure rate for the demo services (shows retries in the traces). */
  payoutFailureRate?: number;
  timeoutMs?: number;
  onStep?: (text: string) => void;
}

export interface DemoService { service: ServiceName; pid: number; url: string; log: string }

export interface DemoReport {
  brokerStarted: boolean;
  campaignId: string;
  services: DemoService[];
  kept: boolean;
  /** The services were left running by an earlier `miso demo --keep` and were used as they are. */
  reused: boolean;
  setup: Trace;
  workflows: Trace[];
  complete: boolean;
  totals: {
    trackingEvents: Record<'view' | 'click' | 'conversion', number>;
    commissions: number;
    commissionMinor: number;
    payouts: number;
    payoutMinor: number;
    rejected: number;
    deadLettered: number;
  };
  /** What the services' own books say after all demo runs so far. */
  books: Partial<Record<ServiceName, Record<string, number>>>;
}

const MISO_BIN = fileURLToPath(new URL('../../bin/miso.js', import.meta.url));

/**
 * V8 flags for a service process: a small young generation. Under load the default lets each
 * service grow past 150 MB of RSS; with 4 MB semi-spaces it stays near 110 MB at 500
 * workflows/s and is no slower (bench/workflow). The Dockerfile sets the same in NODE_OPTIONS.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4'];

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const step = opts.onStep ?? (() => {});
  let cfg = opts.cfg;
  const brokerStarted = await ensureBroker(cfg, step).then((r) => {
    if (r) cfg = { ...cfg, serviceUrl: r.serviceUrl, adminUrl: r.adminUrl };
    return r !== undefined;
  });
  step(`init ${cfg.tenant}/${cfg.namespace}`);
  const init = await initCluster(cfg);
  if (!init.ok) {
    const failed = init.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
    throw new MisoError(`init of ${cfg.tenant}/${cfg.namespace} failed (${failed.join('; ')})`, { hint: 'Run `miso init` to see each step, or `miso doctor`.' });
  }

  const dataDir = opts.dataDir ?? join(paths.stateDir(), 'demo');
  const reused = await keptServices(dataDir);
  if (reused) step('using the services an earlier `miso demo --keep` left running');
  else step('starting the four services (miso run …)');
  const services = reused ?? await startDemoServices(cfg, dataDir, opts);
  const client = openClient(cfg);
  const pub = new Publisher(client, cfg);
  let watch: WorkflowWatch | undefined;
  try {
    const campaignId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;
    // Setup: one workflow creating the campaign and its two videos.
    watch = await WorkflowWatch.open(client, cfg);
    step(`campaign ${campaignId}: create, add two videos`);
    const created = await pub.sendCommand('campaign.create', { campaign_id: campaignId, user_id: 'creator-ada', name: 'Summer launch', description: 'miso demo campaign', budget_minor: 500_000 });
    const videos = [
      await pub.sendCommand('campaign.add_video', { campaign_id: campaignId, url: `https://videos.example/${campaignId}/teaser`, title: 'Teaser' }, { correlationId: created.correlationId }),
      await pub.sendCommand('campaign.add_video', { campaign_id: campaignId, url: `https://videos.example/${campaignId}/review`, title: 'Review' }, { correlationId: created.correlationId }),
    ];
    const setup = await watch.collect([created, ...videos], { timeoutMs: opts.timeoutMs ?? 30_000, settleMs: 200 });
    const setupTrace = setup.traces[0]!;
    if (!setup.complete || setupTrace.rejectedCount > 0) throw new MisoError('the campaign setup did not complete', { hint: `See \`miso trace ${created.correlationId}\` and the service logs in ${join(dataDir, 'logs')}.` });
    // Tracking learns the videos from campaign-events; wait until it has them.
    await waitForTrackingVideos(services, campaignId, opts.timeoutMs ?? 30_000);

    await watch.close();
    // A watch reads its topics once (collect closes its readers): a fresh one for the tracking workflows.
    watch = await WorkflowWatch.open(client, cfg);
    const sends: Published[] = [];
    const counts = { view: opts.views ?? 3, click: opts.clicks ?? 2, conversion: opts.conversions ?? 1 };
    step(`tracking: ${counts.view} views, ${counts.click} clicks, ${counts.conversion} conversions per video`);
    let visitor = 0;
    for (const v of videos) {
      const videoId = (v.envelope.payload as { video_id: string }).video_id;
      for (const kind of ['view', 'click', 'conversion'] as const) {
        for (let i = 0; i < counts[kind]; i++) {
          visitor++;
          sends.push(await pub.sendCommand('tracking.create_event', {
            event_type: kind, campaign_id: campaignId, video_id: videoId, visitor_id: `visitor-${visitor}`,
            ...(kind === 'conversion' ? { sale_amount_minor: 2_999 + 1_000 * visitor } : {}),
          }));
        }
      }
    }
    step(`waiting for ${sends.length} workflows to reach payment`);
    const run = await watch.collect(sends, { timeoutMs: opts.timeoutMs ?? 30_000, settleMs: 300 });
    const report: DemoReport = {
      brokerStarted,
      campaignId,
      services: services.map(({ service, pid, url, log }) => ({ service, pid, url, log })),
      kept: Boolean(opts.keep) || reused !== undefined,
      reused: reused !== undefined,
      setup: setupTrace,
      workflows: run.traces,
      complete: run.complete,
      totals: totalsOf(run.traces),
      books: await books(services),
    };
    return report;
  } finally {
    await watch?.close().catch(() => {});
    await pub.close().catch(() => {});
    await client.close().catch(() => {});
    if (reused) {
      // Not ours to stop: they run until the user stops them.
    } else if (!opts.keep) {
      step('stopping the services');
      await stopServices(services);
    } else {
      for (const s of services) s.child?.unref();
      writeFileSync(keptFile(dataDir), JSON.stringify(services.map(({ service, pid, url, log }) => ({ service, pid, url, log })), null, 2));
    }
  }
}

/** The broker answers, or (for the default local URLs only) is started; returns the URLs when it started one. */
async function ensureBroker(cfg: ResolvedConfig, step: (t: string) => void): Promise<{ serviceUrl: string; adminUrl: string } | undefined> {
  const admin = openAdmin(cfg, { timeoutMs: 3000 });
  try {
    await admin.clusters();
    return undefined;
  } catch (err) {
    if (!(err instanceof UnreachableError)) throw err;
    const local = cfg.adminUrl === DEFAULTS.adminUrl && cfg.serviceUrl === DEFAULTS.serviceUrl;
    if (!local) throw err;
  }
  step('no broker answers: starting the local one (miso broker up)');
  const up = await brokerUp({ servicePort: 6650, webPort: 8080, heapMb: 512, init: false, onProgress: step });
  return { serviceUrl: up.serviceUrl, adminUrl: up.adminUrl };
}

interface Child extends DemoService { child?: ChildProcess }

function keptFile(dataDir: string): string {
  return join(dataDir, 'kept-services.json');
}

/** Services a previous `--keep` run left, when all four still run and answer. */
async function keptServices(dataDir: string): Promise<Child[] | undefined> {
  const file = keptFile(dataDir);
  if (!existsSync(file)) return undefined;
  let list: DemoService[];
  try {
    list = JSON.parse(readFileSync(file, 'utf8')) as DemoService[];
  } catch {
    list = [];
  }
  const ok = list.length === SERVICES.length && (await Promise.all(list.map(async (s) => processAlive(s.pid) && (await health(s.url)) !== undefined))).every(Boolean);
  if (!ok) {
    rmSync(file, { force: true });
    return undefined;
  }
  return list;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startDemoServices(cfg: ResolvedConfig, dataDir: string, opts: DemoOptions): Promise<Child[]> {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const conn = ['--service-url', cfg.serviceUrl, '--admin-url', cfg.adminUrl, '--tenant', cfg.tenant, '--namespace', cfg.namespace];
  if (cfg.profile) conn.push('--profile', cfg.profile);
  if (cfg.tlsTrustCertsFile) conn.push('--tls-trust-certs', cfg.tlsTrustCertsFile);
  if (cfg.tlsAllowInsecure) conn.push('--tls-allow-insecure');
  if (cfg.token) {
    // A file, not an argument: arguments are visible to every user of the machine.
    const tokenFile = join(dataDir, '.token');
    writeFileSync(tokenFile, cfg.token, { mode: 0o600 });
    conn.push('--token-file', tokenFile);
  }
  const children: Child[] = [];
  try {
    for (const service of SERVICES) {
      const port = await freePort(DEFAULT_PORTS[service]);
      const log = join(dataDir, 'logs', `${service}.log`);
      const fd = openSync(log, 'a');
      const extra = service === 'payment' && opts.payoutFailureRate ? ['--payout-failure-rate', String(opts.payoutFailureRate)] : [];
      // Detached with its output in a file, so that with --keep it outlives the demo.
      const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MISO_BIN, 'run', service, '--port', String(port), '--data-dir', dataDir, '--nack-delay-ms', '200', ...conn, ...extra], {
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      closeSync(fd);
      children.push({ service, pid: child.pid ?? -1, url: `http://127.0.0.1:${port}`, log, child });
    }
    await Promise.all(children.map((c) => waitHealthy(c, 30_000)));
  } catch (err) {
    await stopServices(children);
    throw err;
  }
  return children;
}

async function waitHealthy(c: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  c.child?.once('exit', (code) => { exited = code; });
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new ProcessError(`the ${c.service} service exited (code ${exited}) while starting`, { hint: `See its log: ${c.log}` });
    try {
      const res = await fetch(`${c.url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TimeoutError(`the ${c.service} service did not become healthy in ${timeoutMs / 1000} s`, { hint: `See its log: ${c.log}` });
}

async function stopServices(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    const child = c.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => { child.kill('SIGKILL'); }, 15_000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  })));
}

async function waitForTrackingVideos(services: Child[], _campaignId: string, timeoutMs: number): Promise<void> {
  const tracking = services.find((s) => s.service === 'tracking')!;
  const campaign = services.find((s) => s.service === 'campaign')!;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [t, c] = await Promise.all([health(tracking.url), health(campaign.url)]);
    if (t?.stats && c?.stats && t.stats.videos! >= c.stats.videos!) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new TimeoutError('the tracking service did not learn the new videos in time', { hint: `See ${tracking.log}.` });
}

async function health(url: string): Promise<{ stats?: Record<string, number> } | undefined> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as { stats?: Record<string, number> };
  } catch {
    return undefined;
  }
}

async function books(services: Child[]): Promise<DemoReport['books']> {
  const out: DemoReport['books'] = {};
  for (const s of services) {
    const h = await health(s.url);
    if (h?.stats) out[s.service] = h.stats;
  }
  return out;
}

function totalsOf(traces: Trace[]): DemoReport['totals'] {
  const t: DemoReport['totals'] = { trackingEvents: { view: 0, click: 0, conversion: 0 }, commissions: 0, commissionMinor: 0, payouts: 0, payoutMinor: 0, rejected: 0, deadLettered: 0 };
  for (const trace of traces) {
    t.rejected += trace.rejectedCount;
    t.deadLettered += trace.deadLetteredCount;
    for (const n of trace.nodes) {
      const p = (n.message.payload ?? {}) as Record<string, unknown>;
      if (n.message.type === 'tracking_event.created.v1') t.trackingEvents[p.event_type as 'view']++;
      if (n.message.type === 'commission.calculated.v1') { t.commissions++; t.commissionMinor += Number(p.amount_minor); }
      if (n.message.type === 'payment.processed.v1' && p.status === 'paid') { t.payouts++; t.payoutMinor += Number(p.amount_minor); }
    }
  }
  return t;
}

/** The preferred port when free, else any free port. */
function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) => new Promise<number | undefined>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  return tryPort(preferred).then((p) => p ?? tryPort(0).then((q) => q!));
}
