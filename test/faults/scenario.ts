/**
 * The fault run: a steady load of workflows through the four services (separate `miso run`
 * processes with their own databases) on a broker of its own, while services are killed with
 * SIGKILL and restarted, the broker is stopped and started again, and a service is frozen with
 * SIGSTOP and thawed. Afterwards the books: every accepted tracking event has exactly one
 * commission and one payout, every campaign command exactly one campaign, nothing left
 * unacknowledged, and each dead letter explained.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../src/config/index.js';
import { Publisher } from '../../src/core/publisher.js';
import { COMMAND_TOPICS, topicName } from '../../src/core/topics.js';
import { AdminClient } from '../../src/pulsar/admin.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import { OUTPUT_DIR } from '../hostile/report.js';
import { Rng } from '../hostile/rng.js';
import {
  dbCounts,
  deadLetters,
  ledger,
  PAYMENTS_BY_COMMISSION,
  paymentDbFiles,
  PAYOUTS_BY_KEY,
  readTopic,
  subscriptionBacklogs,
  tally,
  type Backlog,
  type DeadLetterSeen,
  type Ledger,
} from './books.js';
import { brokerDown, brokerUp, createSandbox, initScope, metricSum, ServiceProcess } from './cluster.js';

export const SERVICES = ['campaign', 'tracking', 'commission', 'payment'] as const;

/**
 * Acknowledgement grouping of the services under test, as the Java client's default (100 ms)
 * rather than miso's 10 ms: each kill during a burst then lands, as in production with Java's
 * default, while some handled messages still wait for their acknowledgement, so every run
 * exercises the recognition of redelivered, already committed messages.
 */
const ACK_GROUP_MS = 100;
type Service = (typeof SERVICES)[number];

export interface FaultPlan {
  name: string;
  seed: number;
  /** Workflows started per second while faults run. */
  rate: number;
  killsPerService: number;
  brokerRestarts: number;
  /** SIGSTOP durations (ms), each on a randomly chosen service. */
  pausesMs: number[];
  /** Undecodable messages slipped onto random command topics during the load. */
  poison: number;
  /** Workflows started at once just before each kill. */
  burstBeforeKill: number;
  /** Quiet time between faults (ms, drawn uniformly). */
  gapMs: [number, number];
  /** Load before the first fault and after the last (ms). */
  leadMs: number;
  tailMs: number;
  /** Time allowed to settle after the load before the books are checked. */
  drainTimeoutMs: number;
  /**
   * The most a fault may take to recover from (FaultRecord.recoverMs), beyond which the run
   * fails: `baseMs`, plus the time to work off the workflows it held up at `catchUp` times the
   * rate the load arrives at. Recovery is mostly working off what piled up while the component
   * was gone, so the budget grows with that backlog; at 1× the system must at least keep pace
   * with the load it is given. docs/reliability.md states the same budget.
   */
  recoveryBudget: { baseMs: number; catchUp: number };
}

/** The recovery budget of one fault of a plan (ms). */
export function recoveryBudgetMs(plan: FaultPlan, heldUp: number): number {
  return Math.round(plan.recoveryBudget.baseMs + (heldUp * 1000) / (plan.recoveryBudget.catchUp * plan.rate));
}

/**
 * One of each fault. The pause outlasts the broker's keep-alive (a PING after 30 s of silence,
 * the connection dropped 30 s later without a PONG), so the broker takes the frozen consumer's
 * messages back and delivers them again.
 */
export const BOUNDED_PLAN: FaultPlan = {
  name: 'bounded',
  seed: 4242,
  rate: 5,
  killsPerService: 1,
  brokerRestarts: 1,
  pausesMs: [65_000],
  poison: 4,
  burstBeforeKill: 60,
  gapMs: [2_500, 5_000],
  leadMs: 4_000,
  tailMs: 4_000,
  drainTimeoutMs: 120_000,
  recoveryBudget: { baseMs: 10_000, catchUp: 1 },
};

/** Several kills per service, two broker restarts, a short pause and two past the broker's keep-alive. */
export const FULL_PLAN: FaultPlan = {
  name: 'full',
  seed: 4242,
  rate: 10,
  killsPerService: 3,
  brokerRestarts: 2,
  pausesMs: [8_000, 65_000, 90_000],
  poison: 12,
  burstBeforeKill: 100,
  gapMs: [3_000, 9_000],
  leadMs: 8_000,
  tailMs: 8_000,
  drainTimeoutMs: 300_000,
  recoveryBudget: { baseMs: 10_000, catchUp: 1 },
};

export interface FaultRecord {
  kind: 'kill -9' | 'broker restart' | 'SIGSTOP/SIGCONT';
  target: string;
  /** ms since the load started. */
  at: number;
  /** How long the component was gone (kill → started again; down → ready; stop → cont). */
  downMs: number;
  /** From the fault's end until the last workflow it held up had its payout (or campaign). */
  recoverMs: number | undefined;
  /** Workflows that were in flight or sent while the component was gone. */
  affected: number;
  /** recoverMs may not exceed this (recoveryBudgetMs of the plan for `affected`). */
  budgetMs?: number;
  detail?: string;
  /** SIGSTOP only: the broker closed the frozen client's connection (its keep-alive timed out). */
  brokerDroppedConnection?: boolean;
  /**
   * kill -9 only: redeliveries the restarted process recognised as already handled before the
   * next fault — messages whose transaction had committed when the kill came but whose
   * acknowledgement never reached the broker.
   */
  redeliveriesRecognised?: number;
}

interface Workflow {
  id: string;
  kind: 'tracking' | 'campaign';
  sentAt: number;
  acceptedAt?: number;
  attempts: number;
}

export interface FaultReport {
  plan: FaultPlan;
  startedAt: string;
  durationS: number;
  workflows: { sent: number; accepted: number; tracking: number; campaign: number; sendRetries: number };
  faults: FaultRecord[];
  counts: { kills: Record<string, number>; restarts: Record<string, number>; brokerRestarts: number; pauses: number };
  books: {
    trackingEvents: Ledger;
    commissions: Ledger;
    paymentEvents: Ledger;
    paymentRows: Ledger;
    payouts: Ledger;
    campaigns: Ledger;
    rejections: number;
    undecodableOnEventTopics: number;
  };
  payments: { expected: number; made: number; duplicates: number; lost: number };
  backlogs: Backlog[];
  deadLetters: { total: number; explained: number; injected: number; items: { topic: string; reason: string }[] };
  redeliveriesRecognised: number;
  /** Of those, recognised by a service restarted after kill -9 (kills between commit and acknowledgement). */
  redeliveredAfterKills: number;
  /** Of those, recognised by a service just thawed from SIGSTOP. */
  redeliveredAfterPauses: number;
  unexpectedExits: string[];
  logsDir: string;
}

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);

export async function runFaults(plan: FaultPlan): Promise<FaultReport> {
  const rng = new Rng(plan.seed);
  const sb = await createSandbox('faults');
  const t0Wall = new Date();
  const procs = new Map<Service, ServiceProcess>();
  let client: PulsarClient | undefined;
  let pub: Publisher | undefined;
  const unexpectedExits: string[] = [];
  const expectedDeath = new Set<ServiceProcess>();
  const retired: ServiceProcess[] = [];
  try {
    log(`sandbox ${sb.root}; broker on ${sb.serviceUrl} / ${sb.adminUrl}`);
    const up = await brokerUp(sb, ['--no-init']);
    log(`broker ready in ${up.seconds.toFixed(1)} s`);
    await initScope(sb);
    const cfg = resolveConfig({ serviceUrl: sb.serviceUrl, adminUrl: sb.adminUrl, tenant: sb.tenant, namespace: sb.namespace });
    const admin = new AdminClient(cfg);

    // The four services; payment starts with two forced payout failures (retried, paid once).
    let paymentFirstStart = true;
    for (const s of SERVICES) {
      const p = new ServiceProcess(s, sb, () => {
        const args = ['--data-dir', sb.dataDir, '--nack-delay-ms', '300', '--ack-group-ms', String(ACK_GROUP_MS), '--verbose'];
        if (s === 'payment' && paymentFirstStart) {
          paymentFirstStart = false;
          args.push('--fail-next', '2');
        }
        return args;
      });
      procs.set(s, p);
    }
    await Promise.all([...procs.values()].map((p) => p.start(90_000)));
    for (const p of procs.values()) watchExit(p);
    log('services started');

    client = new PulsarClient({ serviceUrl: sb.serviceUrl, operationTimeoutMs: 60_000 });
    pub = new Publisher(client, cfg, { sendTimeoutMs: 60_000 });
    const campaignId = `camp-${randomUUID().slice(0, 8)}`;
    const videos = ['vid-a', 'vid-b', 'vid-c'];
    const created = await pub.sendCommand('campaign.create', { campaign_id: campaignId, user_id: 'creator-1', name: 'Fault run' });
    for (const v of videos) {
      await pub.sendCommand(
        'campaign.add_video',
        { campaign_id: campaignId, video_id: v, url: `https://videos.example/${v}`, title: v },
        { correlationId: created.correlationId },
      );
    }
    const tracking = procs.get('tracking')!;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const h = await tracking.health();
      if ((h?.stats as { videos?: number } | undefined)?.videos === videos.length) break;
      if (Date.now() > deadline) throw new Error(`tracking never learned the videos: ${JSON.stringify(h)}`);
      await sleep(100);
    }

    // Redeliveries the services recognised (scraped while they live; counters restart with them).
    const scraped = new Map<ServiceProcess, number>();
    let recognisedFromDead = 0;
    const scrape = async () => {
      for (const p of procs.values()) {
        if (!p.alive) continue;
        try {
          scraped.set(p, metricSum(await p.metrics(), 'miso_messages_duplicate_total'));
        } catch {
          /* paused or restarting */
        }
      }
    };

    // ── the load ─────────────────────────────────────────────────────────
    const t0 = Date.now();
    const workflows: Workflow[] = [];
    const inflight = new Set<Promise<void>>();
    let sendRetries = 0;
    let loadRunning = true;
    const send = (w: Workflow, type: string, payload: Record<string, unknown>) => {
      const task = (async () => {
        for (;;) {
          w.attempts++;
          try {
            // Same envelope id on every attempt: a resend that did land is recognised by the service.
            await pub!.sendCommand(type, payload, { id: w.id });
            w.acceptedAt = Date.now();
            return;
          } catch (err) {
            sendRetries++;
            if (w.attempts > 20) throw err;
            await sleep(1000);
          }
        }
      })();
      inflight.add(task);
      task.catch(() => {}).finally(() => inflight.delete(task));
    };
    let n = 0;
    let poisonQueued = 0;
    let poisonSent = 0;
    /** Start workflow number `n`: nine tracking events, then a campaign creation; poison now and then. */
    const launch = () => {
      const i = n++;
      const id = randomUUID();
      if (i % 10 === 9) {
        const w: Workflow = { id, kind: 'campaign', sentAt: Date.now(), attempts: 0 };
        workflows.push(w);
        send(w, 'campaign.create', { campaign_id: `camp-${id.slice(0, 8)}`, user_id: `creator-${i}`, name: `Campaign ${i}` });
      } else {
        const type = rng.pick(['view', 'view', 'click', 'conversion'] as const);
        const w: Workflow = { id, kind: 'tracking', sentAt: Date.now(), attempts: 0 };
        workflows.push(w);
        send(w, 'tracking.create_event', {
          tracking_event_id: randomUUID(),
          event_type: type,
          campaign_id: campaignId,
          video_id: rng.pick(videos),
          visitor_id: `visitor-${i}`,
          ...(type === 'conversion' ? { sale_amount_minor: rng.range(500, 50_000) } : {}),
        });
      }
      // Poison early in the load, so it meets the faults on its way to the dead letters.
      if (poisonQueued < plan.poison && i % 15 === 7) {
        poisonQueued++;
        const bytes = rng.bytes(rng.range(1, 40));
        const topic = topicName(cfg, rng.pick(COMMAND_TOPICS));
        const task = injectPoison(client!, topic, bytes).then(() => {
          poisonSent++;
        });
        inflight.add(task);
        task.catch((e: unknown) => log(`poison not sent: ${(e as Error).message}`)).finally(() => inflight.delete(task));
      }
    };
    const loader = (async () => {
      const interval = 1000 / plan.rate;
      let next = Date.now();
      while (loadRunning) {
        launch();
        next += interval;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();

    // ── the faults ───────────────────────────────────────────────────────
    type Step = { kind: FaultRecord['kind']; target: string; pauseMs?: number };
    const steps: Step[] = [];
    for (let k = 0; k < plan.killsPerService; k++) for (const s of SERVICES) steps.push({ kind: 'kill -9', target: s });
    for (let k = 0; k < plan.brokerRestarts; k++) steps.push({ kind: 'broker restart', target: 'broker' });
    for (const ms of plan.pausesMs) steps.push({ kind: 'SIGSTOP/SIGCONT', target: rng.pick(['tracking', 'commission', 'payment']), pauseMs: ms });
    shuffle(steps, rng);

    const faults: (FaultRecord & { start: number; end: number })[] = [];
    const kills: Record<string, number> = {};
    const restarts: Record<string, number> = {};
    let brokerRestarts = 0;
    let pauses = 0;
    let redeliveredAfterPauses = 0;
    const pauseChecks: Promise<void>[] = [];
    // A restarted process's redeliveries are read at the next scrape, before any later fault
    // (a pause of the same process) can add to its counter.
    let killChecks: { record: FaultRecord; proc: ServiceProcess }[] = [];
    const settleKillChecks = () => {
      for (const { record, proc } of killChecks) {
        record.redeliveriesRecognised = scraped.get(proc) ?? 0;
        record.detail = `${record.redeliveriesRecognised} redelivered messages recognised as handled after the restart`;
      }
      killChecks = [];
    };
    await sleep(plan.leadMs);
    for (const step of steps) {
      await scrape();
      settleKillChecks();
      const start = Date.now();
      if (step.kind === 'kill -9') {
        const p = procs.get(step.target as Service)!;
        recognisedFromDead += scraped.get(p) ?? 0;
        scraped.delete(p);
        expectedDeath.add(p);
        // A burst first, so the victim is working through a backlog when it dies. It dies once
        // it has handled a few of them (or after 5 s): busy, with the acknowledgements of its
        // latest commits still in the client's ack group (sent every 10 ms) — the kill lands
        // between a commit and its acknowledgement, or before its outbox relay published.
        const handledBefore = await handledBy(p);
        for (let k = 0; k < plan.burstBeforeKill; k++) launch();
        const busyBy = Date.now() + 5_000;
        while (Date.now() < busyBy && !((await handledBy(p)) - handledBefore >= 5)) await sleep(20);
        await sleep(rng.range(0, 30));
        await p.kill9();
        retired.push(p);
        kills[step.target] = (kills[step.target] ?? 0) + 1;
        const killedAt = Date.now();
        const p2 = new ServiceProcess(step.target, sb, () => [
          '--data-dir',
          sb.dataDir,
          '--nack-delay-ms',
          '300',
          '--ack-group-ms',
          String(ACK_GROUP_MS),
          '--verbose',
        ]);
        await p2.start(90_000);
        procs.set(step.target as Service, p2);
        watchExit(p2);
        restarts[step.target] = (restarts[step.target] ?? 0) + 1;
        const record = {
          kind: step.kind,
          target: step.target,
          at: killedAt - t0,
          start: killedAt,
          end: Date.now(),
          downMs: Date.now() - killedAt,
          recoverMs: undefined,
          affected: 0,
        };
        faults.push(record);
        killChecks.push({ record, proc: p2 });
      } else if (step.kind === 'broker restart') {
        await brokerDown(sb);
        const downAt = Date.now();
        const again = await brokerUp(sb, ['--no-init']);
        brokerRestarts++;
        faults.push({
          kind: step.kind,
          target: 'broker',
          at: start - t0,
          start,
          end: Date.now(),
          downMs: Date.now() - start,
          recoverMs: undefined,
          affected: 0,
          detail: `stop took ${((downAt - start) / 1000).toFixed(1)} s, start ${again.seconds.toFixed(1)} s`,
        });
      } else {
        const p = procs.get(step.target as Service)!;
        p.pause();
        await sleep(step.pauseMs!);
        p.resume();
        const end = Date.now();
        pauses++;
        const record = {
          kind: step.kind,
          target: step.target,
          at: start - t0,
          start,
          end,
          downMs: end - start,
          recoverMs: undefined,
          affected: 0,
          detail: `frozen ${step.pauseMs! / 1000} s`,
        };
        faults.push(record);
        pauseChecks.push(
          (async () => {
            // What the thawed process recognised as already handled: the redeliveries the pause caused.
            const before = scraped.get(p) ?? 0;
            await sleep(Math.min(15_000, plan.gapMs[0] + 2_000));
            try {
              const n = metricSum(await p.metrics(), 'miso_messages_duplicate_total') - before;
              redeliveredAfterPauses += n;
              record.detail += `; ${n} redelivered messages recognised as handled`;
            } catch {
              /* killed in the meantime */
            }
          })(),
        );
      }
      log(`${step.kind} ${step.target} at ${((start - t0) / 1000).toFixed(1)} s, back after ${((Date.now() - start) / 1000).toFixed(1)} s`);
      await sleep(rng.range(plan.gapMs[0], plan.gapMs[1]));
    }
    await sleep(plan.tailMs);
    await Promise.all(pauseChecks);
    loadRunning = false;
    await loader;
    await Promise.allSettled([...inflight]);
    const loadEnd = Date.now();
    log(`load stopped: ${workflows.length} workflows in ${((loadEnd - t0) / 1000).toFixed(0)} s; draining`);

    // ── settle ───────────────────────────────────────────────────────────
    const accepted = workflows.filter((w) => w.acceptedAt !== undefined);
    const trackingIds = accepted.filter((w) => w.kind === 'tracking').map((w) => w.id);
    const campaignIds = accepted.filter((w) => w.kind === 'campaign').map((w) => w.id);
    const paymentTopic = topicName(cfg, 'payment-events');
    const drainDeadline = Date.now() + plan.drainTimeoutMs;
    for (;;) {
      const paid = new Set((await readTopic(client, paymentTopic, 'payment-events', { adminUrl: sb.adminUrl })).events.map((e) => e.correlationId));
      const missing = trackingIds.filter((id) => !paid.has(id)).length;
      if (missing === 0) break;
      if (Date.now() > drainDeadline) {
        log(`drain timed out with ${missing} workflows unpaid`);
        break;
      }
      await sleep(1000);
    }
    // Acknowledgements are grouped and sent shortly after; let backlogs reach zero.
    let backlogs: Backlog[] = [];
    const backlogDeadline = Date.now() + 30_000;
    for (;;) {
      backlogs = await subscriptionBacklogs(admin, cfg);
      if (backlogs.every((b) => b.backlog === 0 && b.unacked === 0) || Date.now() > backlogDeadline) break;
      await sleep(500);
    }
    await scrape();
    settleKillChecks();
    const redeliveriesRecognised = recognisedFromDead + [...scraped.values()].reduce((a, b) => a + b, 0);

    // ── the books ────────────────────────────────────────────────────────
    const trackingEv = await readTopic(client, topicName(cfg, 'tracking-events'), 'tracking-events', { adminUrl: sb.adminUrl });
    const commissionEv = await readTopic(client, topicName(cfg, 'commission-events'), 'commission-events', { adminUrl: sb.adminUrl });
    const paymentEv = await readTopic(client, paymentTopic, 'payment-events', { adminUrl: sb.adminUrl });
    const campaignEv = await readTopic(client, topicName(cfg, 'campaign-events'), 'campaign-events', { adminUrl: sb.adminUrl });
    const ofType = (evs: { type: string; correlationId: string }[], type: string) =>
      tally(
        evs.filter((e) => e.type === type),
        (e) => e.correlationId,
      );
    const commissionOfWorkflow = new Map<string, string>();
    for (const e of paymentEv.events) if (e.type === 'payment.processed.v1') commissionOfWorkflow.set(e.correlationId, String(e.payload.commission_id));
    const commissionIdsExpected = trackingIds.map((id) => commissionOfWorkflow.get(id) ?? `missing:${id}`);
    const files = paymentDbFiles(sb.dataDir);
    const books = {
      trackingEvents: ledger(trackingIds, ofType(trackingEv.events, 'tracking_event.created.v1')),
      commissions: ledger(trackingIds, ofType(commissionEv.events, 'commission.calculated.v1')),
      paymentEvents: ledger(trackingIds, ofType(paymentEv.events, 'payment.processed.v1')),
      paymentRows: ledger(commissionIdsExpected, dbCounts(files.payments, PAYMENTS_BY_COMMISSION)),
      payouts: ledger(commissionIdsExpected, dbCounts(files.ledger, PAYOUTS_BY_KEY)),
      // The set-up campaign is not part of the load.
      campaigns: ledger([...campaignIds, created.correlationId], ofType(campaignEv.events, 'campaign.created.v1')),
      rejections: [trackingEv, commissionEv, paymentEv, campaignEv].reduce((a, t) => a + t.events.filter((e) => e.type === 'command.rejected.v1').length, 0),
      undecodableOnEventTopics: trackingEv.undecodable + commissionEv.undecodable + paymentEv.undecodable + campaignEv.undecodable,
    };

    // Recovery: from a fault's end until the last workflow it held up was paid (broker publish time).
    const doneAt = new Map<string, number>();
    for (const e of paymentEv.events) if (e.type === 'payment.processed.v1' && !doneAt.has(e.correlationId)) doneAt.set(e.correlationId, e.publishTime);
    for (const e of campaignEv.events) if (e.type === 'campaign.created.v1' && !doneAt.has(e.correlationId)) doneAt.set(e.correlationId, e.publishTime);
    for (const f of faults) {
      const held = accepted.filter((w) => w.sentAt <= f.end && (doneAt.get(w.id) ?? Infinity) > f.start);
      f.affected = held.length;
      const last = Math.max(...held.map((w) => doneAt.get(w.id) ?? Infinity));
      f.recoverMs = held.length === 0 ? 0 : Number.isFinite(last) ? Math.max(0, last - f.end) : undefined;
      f.budgetMs = recoveryBudgetMs(plan, held.length);
    }

    // The broker's side of a long pause: it gives up on the frozen client after its keep-alive
    // and hands the unacknowledged messages out again.
    const brokerLog = join(sb.env.MISO_STATE_DIR!, 'broker', 'logs', 'broker.log');
    const drops = keepAliveDrops(brokerLog);
    for (const f of faults) {
      if (f.kind !== 'SIGSTOP/SIGCONT') continue;
      f.brokerDroppedConnection = drops.some((t) => t >= f.start && t <= f.end + 1000);
      f.detail += f.brokerDroppedConnection
        ? '; the broker dropped the frozen connection (keep-alive timeout) and redelivered its messages'
        : '; the broker kept the connection';
    }

    const dl = await deadLetters(client, cfg, { adminUrl: sb.adminUrl });
    const explained = dl.filter((d) => d.reason !== '' && d.originTopic !== '');
    const logsDir = join(OUTPUT_DIR, `faults-${plan.name}-logs`);
    rmSync(logsDir, { recursive: true, force: true });
    mkdirSync(logsDir, { recursive: true });
    for (const p of [...procs.values(), ...retired]) writeFileSync(join(logsDir, `${p.service}-${p.starts}-${p.pid ?? 0}.log`), p.log);
    try {
      copyFileSync(join(sb.env.MISO_STATE_DIR!, 'broker', 'logs', 'broker.log'), join(logsDir, 'broker.log'));
    } catch {
      /* log location differs */
    }

    const expectedPayments = trackingIds.length;
    return {
      plan,
      startedAt: t0Wall.toISOString(),
      durationS: Math.round((Date.now() - t0Wall.getTime()) / 1000),
      workflows: { sent: workflows.length, accepted: accepted.length, tracking: trackingIds.length, campaign: campaignIds.length, sendRetries },
      faults: faults.map(({ start: _s, end: _e, ...f }) => f),
      counts: { kills, restarts, brokerRestarts, pauses },
      books,
      payments: {
        expected: expectedPayments,
        made: books.payouts.made,
        duplicates: books.paymentEvents.duplicates + books.paymentRows.duplicates + books.payouts.duplicates + books.payouts.unexpected,
        lost: Math.max(books.paymentEvents.lost.length, books.payouts.lost.length),
      },
      backlogs,
      deadLetters: {
        total: dl.length,
        explained: explained.length,
        injected: poisonSent,
        items: dl.map((d: DeadLetterSeen) => ({ topic: d.topic, reason: d.reason })),
      },
      redeliveriesRecognised,
      redeliveredAfterKills: faults.reduce((a, f) => a + (f.redeliveriesRecognised ?? 0), 0),
      redeliveredAfterPauses,
      unexpectedExits,
      logsDir,
    };
  } finally {
    for (const p of procs.values()) await p.stop().catch(() => {});
    await pub?.close().catch(() => {});
    await client?.close().catch(() => {});
    await brokerDown(sb).catch((e: unknown) => log(`broker down failed: ${(e as Error).message}`));
    if (!process.env.MISO_FAULTS_KEEP) sb.remove();
  }

  function watchExit(p: ServiceProcess): void {
    p.child?.once('exit', (code, signal) => {
      if (expectedDeath.has(p)) return;
      if (signal === 'SIGTERM' || code === 0) return;
      unexpectedExits.push(`${p.service} (start ${p.starts}) exited with ${code ?? signal}: ${p.tail(3)}`);
    });
  }
}

/** Messages a service process has handled so far (NaN when it does not answer). */
async function handledBy(p: ServiceProcess): Promise<number> {
  try {
    return metricSum(await p.metrics(), 'miso_messages_handled_total');
  } catch {
    return Number.NaN;
  }
}

/** Bytes that are not Avro at all, on a command topic: must end in that topic's dead letters. Retried while the broker is away. */
async function injectPoison(client: PulsarClient, topic: string, bytes: Buffer): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const producer = await client.createProducer({ topic });
      try {
        await producer.send({ payload: bytes, properties: { type: 'poison' } });
        return;
      } finally {
        await producer.close().catch(() => {});
      }
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(1000);
    }
  }
}

/** Times (ms) at which the broker closed a connection for want of a PONG. */
function keepAliveDrops(brokerLog: string): number[] {
  let text: string;
  try {
    text = readFileSync(brokerLog, 'utf8');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('Forcing connection to close after keep-alive timeout')) continue;
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3})([+-]\d{4})/.exec(line);
    if (m) out.push(Date.parse(`${m[1]}.${m[2]}${m[3]!.slice(0, 3)}:${m[3]!.slice(3)}`));
  }
  return out;
}

function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function renderFaultReport(r: FaultReport): string {
  const rows = (l: Ledger) => `${l.expected} | ${l.made} | ${l.lost.length} | ${l.duplicates} | ${l.unexpected}`;
  const lines = [
    `# Fault run (${r.plan.name})`,
    '',
    `Started ${r.startedAt}, ${r.durationS} s in all. Seed ${r.plan.seed}. Reproduce: \`${r.plan.name === 'full' ? 'npm run test:faults' : 'npx vitest run test/faults'}\`.`,
    '',
    `- workflows sent: ${r.workflows.sent} (${r.workflows.tracking} tracking events → commission → payout, ${r.workflows.campaign} campaign creations), accepted by the broker: ${r.workflows.accepted}, send retries: ${r.workflows.sendRetries}`,
    `- kill -9: ${Object.entries(r.counts.kills)
      .map(([s, k]) => `${s} ${k}`)
      .join(', ')}; restarts: ${Object.entries(r.counts.restarts)
      .map(([s, k]) => `${s} ${k}`)
      .join(', ')}; broker restarts: ${r.counts.brokerRestarts}; SIGSTOP/SIGCONT: ${r.counts.pauses}`,
    `- **payments expected ${r.payments.expected}, made ${r.payments.made}, duplicates ${r.payments.duplicates}, lost ${r.payments.lost}**`,
    `- redeliveries recognised as already processed: ${r.redeliveriesRecognised} (by services restarted after kill -9: ${r.redeliveredAfterKills}; just thawed from SIGSTOP: ${r.redeliveredAfterPauses})`,
    `- recovery budget per fault: ${(r.plan.recoveryBudget.baseMs / 1000).toFixed(0)} s + the workflows it held up at ${r.plan.recoveryBudget.catchUp}× the load's rate (${r.plan.rate}/s); every fault within it: ${r.faults.every((f) => f.recoverMs !== undefined && f.budgetMs !== undefined && f.recoverMs <= f.budgetMs) ? 'yes' : 'NO'}`,
    `- dead letters: ${r.deadLetters.total} (${r.deadLetters.explained} explained; ${r.deadLetters.injected} undecodable messages injected on purpose)`,
    `- services that died on their own: ${r.unexpectedExits.length}`,
    '',
    '## Faults',
    '',
    '| # | fault | target | at (s) | gone for (s) | recovered after (s) | budget (s) | workflows held up | detail |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.faults.map(
      (f, i) =>
        `| ${i + 1} | ${f.kind} | ${f.target} | ${(f.at / 1000).toFixed(1)} | ${(f.downMs / 1000).toFixed(1)} | ${f.recoverMs === undefined ? 'never' : (f.recoverMs / 1000).toFixed(1)} | ${f.budgetMs === undefined ? '' : (f.budgetMs / 1000).toFixed(1)} | ${f.affected} | ${f.detail ?? ''} |`,
    ),
    '',
    '"recovered after": from the moment the component was back until the last workflow it held up had its payout (broker publish time).',
    '',
    '## Books',
    '',
    '| record | expected | made | lost | duplicates | unexpected |',
    '| --- | --- | --- | --- | --- | --- |',
    `| tracking_event.created (topic) | ${rows(r.books.trackingEvents)} |`,
    `| commission.calculated (topic) | ${rows(r.books.commissions)} |`,
    `| payment.processed (topic) | ${rows(r.books.paymentEvents)} |`,
    `| payments (payment database) | ${rows(r.books.paymentRows)} |`,
    `| payouts (provider ledger) | ${rows(r.books.payouts)} |`,
    `| campaign.created (topic) | ${rows(r.books.campaigns)} |`,
    '',
    `Rejection events: ${r.books.rejections}. Undecodable messages on event topics: ${r.books.undecodableOnEventTopics}.`,
    '',
    '## Subscriptions after the run',
    '',
    '| topic | subscription | backlog | unacknowledged |',
    '| --- | --- | --- | --- |',
    ...r.backlogs.map((b) => `| ${b.topic} | ${b.subscription} | ${b.backlog} | ${b.unacked} |`),
    '',
    '## Dead letters',
    '',
    r.deadLetters.items.length === 0
      ? 'None.'
      : ['| command topic | reason |', '| --- | --- |', ...r.deadLetters.items.map((d) => `| ${d.topic} | ${d.reason} |`)].join('\n'),
    '',
    `Service logs: ${r.logsDir}`,
  ];
  if (r.unexpectedExits.length > 0) lines.push('', '## Unexpected exits', '', ...r.unexpectedExits.map((e) => `- ${e}`));
  return lines.join('\n');
}
