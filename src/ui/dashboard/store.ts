/**
 * Dashboard state, kept outside React. The monitor pushes messages, stats and connection
 * changes in (`MonitorSink`); components get plain view objects out (`topicRows`, `feed`,
 * `workflows`, ...) and never see the mutable state. Every collection is bounded: the feed and
 * each workflow are ring buffers, workflows are evicted least-recently-active first, rates keep
 * one minute of per-second buckets, backlog history a fixed number of samples.
 */
import { SERVICES, type ServiceName } from '../../config/index.js';
import { serviceSubscription, commandTopicOf } from '../../core/topics.js';
import type {
  ConnectionState,
  MonitorSink,
  ObservedMessage,
  SourceInfo,
  StatsSnapshot,
  TopicStats,
  WatchedTopic,
} from '../../core/monitor.js';
import { answerOf } from '../../core/read/outcome.js';
import { RingBuffer } from './ring.js';
import { NO_FILTER, type MessageFilter } from './filter.js';

export interface StoreLimits {
  /** Messages kept for the live feed. */
  feed: number;
  /** Workflows kept (least recently active evicted first). */
  workflows: number;
  /** Messages kept per workflow for its trace. */
  messagesPerWorkflow: number;
  /** Backlog samples kept per subscription (for the trend). */
  backlogSamples: number;
}

export const DEFAULT_LIMITS: StoreLimits = { feed: 1000, workflows: 500, messagesPerWorkflow: 64, backlogSamples: 30 };

/** One minute of per-second counts. */
export const RATE_WINDOW_S = 60;

/** A workflow still waiting for a reply after this long is shown as stalled. */
export const STALL_AFTER_MS = 30_000;

export type StageStatus = 'none' | 'pending' | 'done' | 'failed';
export type WorkflowStatus = 'in-flight' | 'stalled' | 'done' | 'failed';
export type BacklogTrend = 'growing' | 'draining' | 'steady' | 'unknown';

export interface StageView {
  service: ServiceName;
  status: StageStatus;
  reason?: string;
}

export interface WorkflowView {
  correlationId: string;
  status: WorkflowStatus;
  stages: StageView[];
  /** First and last broker publish times seen (one clock, as `miso trace` measures). */
  startedAt: number;
  lastAt: number;
  durationMs: number;
  messages: number;
  lastType: string;
  /** First failure reason, when failed. */
  failure?: string;
}

export interface SubscriptionView {
  name: string;
  backlog: number;
  trend: BacklogTrend;
  /** Backlog change per second over the trend window (positive = growing). */
  trendPerSec: number;
  consumers: number;
}

export interface TopicRowView {
  short: string;
  role: WatchedTopic['role'];
  service: ServiceName;
  /** Messages per second seen by the dashboard's reader, averaged over the last 5 s. */
  rate: number;
  /** Per-second counts, oldest first, RATE_WINDOW_S long. */
  spark: number[];
  /** Messages seen since the dashboard started. */
  seen: number;
  /** Broker's view (admin stats), when polled. */
  brokerRateIn: number | undefined;
  exists: boolean | undefined;
  subscriptions: SubscriptionView[];
}

export interface ServiceView {
  service: ServiceName;
  /** Consumers on the service's command subscription; undefined before the first stats poll. */
  consumers: number | undefined;
}

export interface FeedView {
  rows: ObservedMessage[];
  /** Messages that arrived after the feed was paused. */
  newSincePause: number;
  total: number;
}

interface StageState {
  status: StageStatus;
  pending: Set<string>;
  reason?: string;
}

interface WorkflowState {
  correlationId: string;
  startedAt: number;
  lastAt: number;
  /** Wall clock (store clock) of the last message, for stall detection. */
  lastSeenAt: number;
  messages: RingBuffer<ObservedMessage>;
  stages: Map<ServiceName, StageState>;
  /** Command ids already answered, so an answer read before its command does not leave it pending. */
  answered: Set<string>;
  lastType: string;
  count: number;
}

class RateSeries {
  readonly buckets = new Array<number>(RATE_WINDOW_S).fill(0);
  /** The second (epoch s) of the last bucket. */
  private head = 0;
  total = 0;

  add(nowMs: number, n = 1): void {
    this.advance(nowMs);
    this.buckets[RATE_WINDOW_S - 1]! += n;
    this.total += n;
  }

  advance(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.head === 0) { this.head = sec; return; }
    const shift = sec - this.head;
    if (shift <= 0) return;
    if (shift >= RATE_WINDOW_S) this.buckets.fill(0);
    else {
      this.buckets.copyWithin(0, shift);
      this.buckets.fill(0, RATE_WINDOW_S - shift);
    }
    this.head = sec;
  }

  /** Average over the last `seconds` complete seconds plus the current partial one. */
  rate(nowMs: number, seconds = 5): number {
    this.advance(nowMs);
    const partial = (nowMs % 1000) / 1000;
    let sum = 0;
    for (let i = RATE_WINDOW_S - seconds - 1; i < RATE_WINDOW_S; i++) sum += this.buckets[i]!;
    return sum / (seconds + partial);
  }
}

export interface StoreOptions {
  limits?: Partial<StoreLimits>;
  /** Clock for rates, stall detection and durations of in-flight workflows. */
  now?: () => number;
}

export class DashboardStore implements MonitorSink {
  readonly limits: StoreLimits;
  readonly now: () => number;
  readonly info: SourceInfo;
  readonly topics: readonly WatchedTopic[];

  private readonly feedRing: RingBuffer<ObservedMessage>;
  private readonly rates = new Map<string, RateSeries>();
  private readonly workflowMap = new Map<string, WorkflowState>();
  private readonly backlog = new Map<string, RingBuffer<{ at: number; backlog: number }>>();
  private latestStats: Map<string, TopicStats> | undefined;
  private statsAt: number | undefined;
  private conn: ConnectionState = { broker: 'connecting', admin: 'unknown' };
  private connSince: number;
  private readonly listeners = new Set<() => void>();
  /** Bumped on every change; lets a renderer skip frames when nothing changed. */
  version = 0;

  constructor(info: SourceInfo, topics: readonly WatchedTopic[], opts: StoreOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? Date.now;
    this.info = info;
    this.topics = topics;
    this.feedRing = new RingBuffer(this.limits.feed);
    for (const t of topics) this.rates.set(t.short, new RateSeries());
    this.connSince = this.now();
  }

  // ---- MonitorSink ----------------------------------------------------------------------

  message(m: ObservedMessage): void {
    this.feedRing.push(m);
    let series = this.rates.get(m.topic);
    if (!series) this.rates.set(m.topic, (series = new RateSeries()));
    series.add(this.now());
    if (m.correlationId) this.track(m);
    this.changed();
  }

  stats(s: StatsSnapshot): void {
    const byTopic = new Map<string, TopicStats>();
    for (const t of s.topics) {
      byTopic.set(t.short, t);
      for (const sub of t.subscriptions) {
        if (!sub.durable) continue;
        const key = `${t.short}\u0000${sub.name}`;
        let ring = this.backlog.get(key);
        if (!ring) this.backlog.set(key, (ring = new RingBuffer(this.limits.backlogSamples)));
        ring.push({ at: s.at, backlog: sub.backlog });
      }
    }
    this.latestStats = byTopic;
    this.statsAt = s.at;
    this.changed();
  }

  connection(c: Partial<ConnectionState>): void {
    const next = { ...this.conn, ...c };
    if (c.detail === undefined && (c.broker === 'connected' || c.admin === 'ok')) {
      // A recovered link clears the error line unless the other link is still down.
      const otherDown = (c.broker === 'connected' ? next.admin === 'unreachable' : next.broker !== 'connected');
      if (!otherDown) delete next.detail;
    }
    if (next.broker !== this.conn.broker || next.admin !== this.conn.admin) this.connSince = this.now();
    this.conn = next;
    this.changed();
  }

  // ---- change notification --------------------------------------------------------------

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  // ---- workflow tracking ----------------------------------------------------------------

  private track(m: ObservedMessage): void {
    const at = m.publishTime || m.timestamp;
    let wf = this.workflowMap.get(m.correlationId);
    if (wf) {
      // Re-insert so Map order is least-recently-active first.
      this.workflowMap.delete(m.correlationId);
    } else {
      wf = {
        correlationId: m.correlationId,
        startedAt: at,
        lastAt: at,
        lastSeenAt: this.now(),
        messages: new RingBuffer(this.limits.messagesPerWorkflow),
        stages: new Map(),
        answered: new Set(),
        lastType: m.type,
        count: 0,
      };
      while (this.workflowMap.size >= this.limits.workflows) {
        const oldest = this.workflowMap.keys().next().value as string;
        this.workflowMap.delete(oldest);
      }
    }
    this.workflowMap.set(m.correlationId, wf);
    wf.messages.push(m);
    wf.count++;
    wf.startedAt = Math.min(wf.startedAt, at);
    if (at >= wf.lastAt) {
      wf.lastAt = at;
      wf.lastType = m.type;
    }
    wf.lastSeenAt = this.now();

    let stage = wf.stages.get(m.service);
    if (!stage) wf.stages.set(m.service, (stage = { status: 'none', pending: new Set() }));
    if (m.kind === 'command') {
      if (!wf.answered.has(m.id)) {
        stage.pending.add(m.id);
        if (stage.status === 'none') stage.status = 'pending';
      }
      return;
    }
    // The same rule as `miso send --wait`: an event, a rejection or the command's dead letter answers it.
    const a = answerOf(m);
    if (!a) return;
    if (a.outcome === 'done') this.answer(wf, stage, a.commandId, 'done');
    else this.answer(wf, stage, a.commandId, 'failed', m.reason ?? (a.outcome === 'rejected' ? m.type : 'dead-lettered'));
  }

  private answer(wf: WorkflowState, stage: StageState, commandId: string | undefined, status: 'done' | 'failed', reason?: string): void {
    if (commandId !== undefined) {
      if (wf.answered.size >= 256) wf.answered.clear();
      wf.answered.add(commandId);
      // The answer may come from a stage other than the command's (a rejection is published on
      // the owning service's event topic, which is the same stage; keep it general anyway).
      for (const s of wf.stages.values()) s.pending.delete(commandId);
    }
    stage.status = status;
    if (reason !== undefined) stage.reason = reason;
    else if (status === 'done') delete stage.reason;
  }

  // ---- views ----------------------------------------------------------------------------

  connectionView(): ConnectionState & { sinceMs: number } {
    return { ...this.conn, sinceMs: this.now() - this.connSince };
  }

  /** When stats were last polled, epoch ms. */
  get lastStatsAt(): number | undefined {
    return this.statsAt;
  }

  topicRows(): TopicRowView[] {
    const now = this.now();
    return this.topics.map((t) => {
      const series = this.rates.get(t.short)!;
      const st = this.latestStats?.get(t.short);
      return {
        short: t.short,
        role: t.role,
        service: t.service,
        rate: series.rate(now),
        spark: [...series.buckets],
        seen: series.total,
        brokerRateIn: st?.msgRateIn,
        exists: st ? st.exists : undefined,
        subscriptions: (st?.subscriptions ?? []).filter((s) => s.durable).map((s) => {
          const { trend, perSec } = this.trendOf(t.short, s.name);
          return { name: s.name, backlog: s.backlog, consumers: s.consumers, trend, trendPerSec: perSec };
        }),
      };
    });
  }

  private trendOf(topic: string, sub: string): { trend: BacklogTrend; perSec: number } {
    const ring = this.backlog.get(`${topic}\u0000${sub}`);
    if (!ring || ring.size < 2) return { trend: 'unknown', perSec: 0 };
    const last = ring.newest()!;
    // Compare with the oldest sample no more than 15 s back, so the trend follows recent change.
    let first = ring.at(0)!;
    for (let i = ring.size - 2; i >= 0; i--) {
      const s = ring.at(i)!;
      if (last.at - s.at > 15_000) break;
      first = s;
    }
    const dt = (last.at - first.at) / 1000;
    const diff = last.backlog - first.backlog;
    const perSec = dt > 0 ? diff / dt : 0;
    return { trend: diff > 0 ? 'growing' : diff < 0 ? 'draining' : 'steady', perSec };
  }

  services(): ServiceView[] {
    return SERVICES.map((service) => {
      if (!this.latestStats) return { service, consumers: undefined };
      const st = this.latestStats.get(commandTopicOf(service));
      const sub = st?.subscriptions.find((s) => s.name === serviceSubscription(service));
      return { service, consumers: sub?.consumers ?? 0 };
    });
  }

  /**
   * Newest first. With `pausedAtTotal`, only messages that had arrived when the feed was paused
   * (as far as they are still in the buffer).
   */
  feed(n: number, filter: MessageFilter = NO_FILTER, pausedAtTotal?: number): FeedView {
    const total = this.feedRing.total;
    const skip = pausedAtTotal === undefined ? 0 : Math.max(0, total - pausedAtTotal);
    const rows: ObservedMessage[] = [];
    for (let i = this.feedRing.size - 1 - skip; i >= 0 && rows.length < n; i--) {
      const m = this.feedRing.at(i)!;
      if (filter.matches(m)) rows.push(m);
    }
    return { rows, newSincePause: skip, total };
  }

  get workflowCount(): number {
    return this.workflowMap.size;
  }

  /** In-flight (and stalled) workflows first, newest first within each group. */
  workflows(n: number, filter: MessageFilter = NO_FILTER): WorkflowView[] {
    const active: WorkflowView[] = [];
    const settled: WorkflowView[] = [];
    const all = [...this.workflowMap.values()];
    // Most recently active first.
    for (let i = all.length - 1; i >= 0; i--) {
      const wf = all[i]!;
      if (filter !== NO_FILTER && !this.workflowMatches(wf, filter)) continue;
      const v = this.viewOf(wf);
      if (v.status === 'in-flight' || v.status === 'stalled') active.push(v);
      else if (settled.length < n) settled.push(v);
    }
    active.sort((a, b) => b.startedAt - a.startedAt);
    return [...active, ...settled].slice(0, n);
  }

  workflow(correlationId: string): WorkflowView | undefined {
    const wf = this.workflowMap.get(correlationId);
    return wf ? this.viewOf(wf) : undefined;
  }

  /** The messages kept for one workflow, oldest first. */
  workflowMessages(correlationId: string): ObservedMessage[] {
    return this.workflowMap.get(correlationId)?.messages.toArray() ?? [];
  }

  private workflowMatches(wf: WorkflowState, filter: MessageFilter): boolean {
    for (let i = 0; i < wf.messages.size; i++) if (filter.matches(wf.messages.at(i)!)) return true;
    return false;
  }

  private viewOf(wf: WorkflowState): WorkflowView {
    const now = this.now();
    let pending = false;
    let failure: string | undefined;
    const stages: StageView[] = SERVICES.map((service) => {
      const s = wf.stages.get(service);
      if (!s) return { service, status: 'none' as const };
      const status: StageStatus = s.pending.size > 0 && s.status !== 'failed' ? 'pending' : s.status;
      if (s.pending.size > 0) pending = true;
      if (status === 'failed' && failure === undefined) failure = `${service}: ${s.reason ?? 'failed'}`;
      return { service, status, ...(s.reason !== undefined && status === 'failed' ? { reason: s.reason } : {}) };
    });
    let status: WorkflowStatus;
    if (failure !== undefined) status = 'failed';
    else if (pending) status = now - wf.lastSeenAt > STALL_AFTER_MS ? 'stalled' : 'in-flight';
    else status = 'done';
    const inFlight = status === 'in-flight';
    return {
      correlationId: wf.correlationId,
      status,
      stages,
      startedAt: wf.startedAt,
      lastAt: wf.lastAt,
      durationMs: Math.max(0, (inFlight ? Math.max(now, wf.lastAt) : wf.lastAt) - wf.startedAt),
      messages: wf.count,
      lastType: wf.lastType,
      ...(failure !== undefined ? { failure } : {}),
    };
  }
}
