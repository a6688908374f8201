import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULTS, paths, type ResolvedConfig, type ServiceName } from '../../config/index.js';
import { initCluster } from '../init.js';
import { Publisher, WorkflowWatch, type Published } from '../publisher.js';
import { openAdmin, openClient } from '../connect.js';
import type { Trace } from '../trace.js';
import { MisoError, UnreachableError } from '../../errors.js';
import { waitFor } from '../../util/wait.js';
import { serviceInfo, health, keepServices, keptServices, startServices, stopServices, type DemoService, type ServiceProcess } from './services.js';

export { SERVICE_NODE_FLAGS, type DemoService } from './services.js';

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
  onStep?: (step: DemoStep) => void;
  /**
   * Start the local broker when none answers (the command passes `broker up`; core cannot
   * import src/broker). Without it a broker that does not answer is an error.
   */
  startBroker?: () => Promise<{ serviceUrl: string; adminUrl: string }>;
}

/** What the demo is busy with, for a progress line (src/ui/render/demo.ts words it). */
export type DemoStep =
  | { step: 'broker' }
  | { step: 'init'; tenant: string; namespace: string }
  | { step: 'services'; reused: boolean }
  | { step: 'campaign'; campaignId: string }
  | { step: 'tracking'; views: number; clicks: number; conversions: number }
  | { step: 'waiting'; workflows: number }
  | { step: 'stopping' };

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

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const step = opts.onStep ?? (() => {});
  let cfg = opts.cfg;
  const brokerStarted = await ensureBroker(cfg, step, opts.startBroker).then((r) => {
    if (r) cfg = { ...cfg, serviceUrl: r.serviceUrl, adminUrl: r.adminUrl };
    return r !== undefined;
  });
  step({ step: 'init', tenant: cfg.tenant, namespace: cfg.namespace });
  const init = await initCluster(cfg);
  if (!init.ok) {
    const failed = init.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
    throw new MisoError(`init of ${cfg.tenant}/${cfg.namespace} failed (${failed.join('; ')})`, {
      hint: 'Run `miso init` to see each step, or `miso doctor`.',
    });
  }

  const dataDir = opts.dataDir ?? join(paths.stateDir(), 'demo');
  const reused = await keptServices(dataDir);
  step({ step: 'services', reused: reused !== undefined });
  const services =
    reused ??
    (await startServices(cfg, dataDir, {
      ...(opts.payoutFailureRate !== undefined ? { payoutFailureRate: opts.payoutFailureRate } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    }));
  const client = openClient(cfg);
  const pub = new Publisher(client, cfg);
  let watch: WorkflowWatch | undefined;
  try {
    const campaignId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;
    // Setup: one workflow creating the campaign and its two videos.
    watch = await WorkflowWatch.open(client, cfg);
    step({ step: 'campaign', campaignId });
    const created = await pub.sendCommand('campaign.create', {
      campaign_id: campaignId,
      user_id: 'creator-ada',
      name: 'Summer launch',
      description: 'miso demo campaign',
      budget_minor: 500_000,
    });
    const videos = [
      await pub.sendCommand(
        'campaign.add_video',
        { campaign_id: campaignId, url: `https://videos.example/${campaignId}/teaser`, title: 'Teaser' },
        { correlationId: created.correlationId },
      ),
      await pub.sendCommand(
        'campaign.add_video',
        { campaign_id: campaignId, url: `https://videos.example/${campaignId}/review`, title: 'Review' },
        { correlationId: created.correlationId },
      ),
    ];
    const setup = await watch.collect([created, ...videos], { timeoutMs: opts.timeoutMs ?? 30_000, settleMs: 200 });
    const setupTrace = setup.traces[0]!;
    if (!setup.complete || setupTrace.rejectedCount > 0)
      throw new MisoError('the campaign setup did not complete', {
        hint: `See \`miso trace ${created.correlationId}\` and the service logs in ${join(dataDir, 'logs')}.`,
      });
    // Tracking learns the videos from campaign-events; wait until it has them.
    await waitForTrackingVideos(services, opts.timeoutMs ?? 30_000);

    await watch.close();
    // A watch reads its topics once (collect closes its readers): a fresh one for the tracking workflows.
    watch = await WorkflowWatch.open(client, cfg);
    const sends: Published[] = [];
    const counts = { view: opts.views ?? 3, click: opts.clicks ?? 2, conversion: opts.conversions ?? 1 };
    step({ step: 'tracking', views: counts.view, clicks: counts.click, conversions: counts.conversion });
    let visitor = 0;
    for (const v of videos) {
      const videoId = (v.envelope.payload as { video_id: string }).video_id;
      for (const kind of ['view', 'click', 'conversion'] as const) {
        for (let i = 0; i < counts[kind]; i++) {
          visitor++;
          sends.push(
            await pub.sendCommand('tracking.create_event', {
              event_type: kind,
              campaign_id: campaignId,
              video_id: videoId,
              visitor_id: `visitor-${visitor}`,
              ...(kind === 'conversion' ? { sale_amount_minor: 2_999 + 1_000 * visitor } : {}),
            }),
          );
        }
      }
    }
    step({ step: 'waiting', workflows: sends.length });
    const run = await watch.collect(sends, { timeoutMs: opts.timeoutMs ?? 30_000, settleMs: 300 });
    const report: DemoReport = {
      brokerStarted,
      campaignId,
      services: services.map(serviceInfo),
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
      step({ step: 'stopping' });
      await stopServices(services);
    } else {
      keepServices(dataDir, services);
    }
  }
}

/** The broker answers, or (for the default local URLs only) is started; returns the URLs when it started one. */
async function ensureBroker(
  cfg: ResolvedConfig,
  step: (s: DemoStep) => void,
  startBroker: DemoOptions['startBroker'],
): Promise<{ serviceUrl: string; adminUrl: string } | undefined> {
  const admin = openAdmin(cfg, { timeoutMs: 3000 });
  try {
    await admin.clusters();
    return undefined;
  } catch (err) {
    if (!(err instanceof UnreachableError)) throw err;
    const local = cfg.adminUrl === DEFAULTS.adminUrl && cfg.serviceUrl === DEFAULTS.serviceUrl;
    if (!local || !startBroker) throw err;
  }
  step({ step: 'broker' });
  return startBroker();
}

/** Tracking learns the videos from campaign-events: wait until it knows as many as campaign has. */
async function waitForTrackingVideos(services: ServiceProcess[], timeoutMs: number): Promise<void> {
  const tracking = services.find((s) => s.service === 'tracking')!;
  const campaign = services.find((s) => s.service === 'campaign')!;
  await waitFor(
    async () => {
      const [t, c] = await Promise.all([health(tracking.url), health(campaign.url)]);
      return Boolean(t?.stats && c?.stats && t.stats.videos! >= c.stats.videos!);
    },
    { timeoutMs, intervalMs: 50, what: 'the tracking service to learn the new videos', hint: `See ${tracking.log}.` },
  );
}

async function books(services: ServiceProcess[]): Promise<DemoReport['books']> {
  const out: DemoReport['books'] = {};
  for (const s of services) {
    const h = await health(s.url);
    if (h?.stats) out[s.service] = h.stats;
  }
  return out;
}

function totalsOf(traces: Trace[]): DemoReport['totals'] {
  const t: DemoReport['totals'] = {
    trackingEvents: { view: 0, click: 0, conversion: 0 },
    commissions: 0,
    commissionMinor: 0,
    payouts: 0,
    payoutMinor: 0,
    rejected: 0,
    deadLettered: 0,
  };
  for (const trace of traces) {
    t.rejected += trace.rejectedCount;
    t.deadLettered += trace.deadLetteredCount;
    for (const n of trace.nodes) {
      const p = (n.message.payload ?? {}) as Record<string, unknown>;
      if (n.message.type === 'tracking_event.created.v1') t.trackingEvents[p.event_type as 'view']++;
      if (n.message.type === 'commission.calculated.v1') {
        t.commissions++;
        t.commissionMinor += Number(p.amount_minor);
      }
      if (n.message.type === 'payment.processed.v1' && p.status === 'paid') {
        t.payouts++;
        t.payoutMinor += Number(p.amount_minor);
      }
    }
  }
  return t;
}
