/**
 * Dashboard state, kept outside React. The monitor pushes messages, stats and connection
 * changes in (`MonitorSink`); components get plain view objects out (`topicRows`, `feed`,
 * `workflows`, ...) and never see the mutable state. Every collection is bounded: the feed and
 * each workflow are ring buffers, workflows are evicted least-recently-active first, rates keep
 * one minute of per-second buckets, backlog history a fixed number of samples. Workflow
 * tracking (with the one rule for an answered command) is in workflows.ts, the rate and
 * backlog series in rates.ts; this class feeds them and hands out their views.
 */
import { SERVICES, type ServiceName } from '../../config/index.js';
import { serviceSubscription, commandTopicOf } from '../../core/topics.js';
import type { ConnectionState, MonitorSink, ObservedMessage, SourceInfo, StatsSnapshot, TopicStats, WatchedTopic } from '../../core/monitor.js';
import { RingBuffer } from './ring.js';
import { NO_FILTER, type MessageFilter } from './filter.js';
import { backlogTrend, RateSeries, type BacklogSample, type BacklogTrend } from './rates.js';
import { WorkflowTracker, type WorkflowView } from './workflows.js';
import { DeadLetterGroups, type DeadLetterGroupView } from './dead-letters.js';

export type { DeadLetterGroupView } from './dead-letters.js';

export { RATE_WINDOW_S, type BacklogTrend } from './rates.js';
export { STALL_AFTER_MS, type StageStatus, type StageView, type WorkflowStatus, type WorkflowView } from './workflows.js';

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
  private readonly flows: WorkflowTracker;
  private readonly deadLetters = new DeadLetterGroups();
  private readonly backlog = new Map<string, RingBuffer<BacklogSample>>();
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
    this.flows = new WorkflowTracker(this.limits, this.now);
    for (const t of topics) this.rates.set(t.short, new RateSeries());
    this.connSince = this.now();
  }

  // ---- MonitorSink ----------------------------------------------------------------------

  message(m: ObservedMessage): void {
    this.feedRing.push(m);
    let series = this.rates.get(m.topic);
    if (!series) this.rates.set(m.topic, (series = new RateSeries()));
    series.add(this.now());
    if (m.correlationId) this.flows.track(m);
    if (m.kind === 'dead-letter' || m.role === 'dead-letter') this.deadLetters.add(m);
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
      const otherDown = c.broker === 'connected' ? next.admin === 'unreachable' : next.broker !== 'connected';
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
        subscriptions: (st?.subscriptions ?? [])
          .filter((s) => s.durable)
          .map((s) => {
            const { trend, perSec } = backlogTrend(this.backlog.get(`${t.short}\u0000${s.name}`));
            return { name: s.name, backlog: s.backlog, consumers: s.consumers, trend, trendPerSec: perSec };
          }),
      };
    });
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
    return this.flows.size;
  }

  /** In-flight (and stalled) workflows first, newest first within each group. */
  workflows(n: number, filter: MessageFilter = NO_FILTER): WorkflowView[] {
    return this.flows.list(n, filter);
  }

  workflow(correlationId: string): WorkflowView | undefined {
    return this.flows.get(correlationId);
  }

  /** Dead letters seen since the dashboard started, grouped as `miso dlq groups` does; largest first. */
  deadLetterGroups(n: number): DeadLetterGroupView[] {
    return this.deadLetters.list(n);
  }

  get deadLetterCount(): number {
    return this.deadLetters.total;
  }

  /** The messages kept for one workflow, oldest first. */
  workflowMessages(correlationId: string): ObservedMessage[] {
    return this.flows.messages(correlationId);
  }
}
