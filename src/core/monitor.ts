/**
 * The data side of `miso dashboard`: what the dashboard watches and how it learns about it.
 *
 * A `DashboardSource` pushes three streams into a `MonitorSink`:
 * - every message seen on the command, event and dead-letter topics, decoded through the
 *   catalog (`ObservedMessage`), read with non-durable readers so the dashboard never takes a
 *   message away from a service;
 * - topic and subscription statistics polled from the admin API (`StatsSnapshot`);
 * - the connection state of the binary protocol and of the admin API (`ConnectionState`).
 *
 * `PulsarMonitor` (below) is the real source; tests and benchmarks may feed a sink directly.
 */
import { observe, watchedTopics, type ObservedMessage, type RawMessage, type WatchedTopic } from './read/observe.js';
import { WriterSchemas } from './read/writer-schemas.js';
import { Backoff, sleep } from '../util/wait.js';

export { observe, watchedTopics, type MessageKind, type ObservedMessage, type RawMessage, type TopicRole, type WatchedTopic } from './read/observe.js';
import type { MessageId, ReaderStart } from '../pulsar/index.js';
import { openPulsar } from './connect.js';
import type { ResolvedConfig } from '../config/index.js';

export interface SubscriptionStats {
  name: string;
  backlog: number;
  consumers: number;
  msgRateOut: number;
  durable: boolean;
  type?: string;
}

export interface TopicStats {
  short: string;
  /** False when the broker reports the topic does not exist (404). */
  exists: boolean;
  msgRateIn: number;
  msgRateOut: number;
  publishers: number;
  subscriptions: SubscriptionStats[];
}

export interface StatsSnapshot {
  /** When the poll completed, epoch ms. */
  at: number;
  topics: TopicStats[];
}

export type BrokerLinkState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
export type AdminLinkState = 'unknown' | 'ok' | 'unreachable';

export interface ConnectionState {
  broker: BrokerLinkState;
  admin: AdminLinkState;
  /** The last error, one line, for the header. */
  detail?: string;
}

export interface MonitorSink {
  message(m: ObservedMessage): void;
  stats(s: StatsSnapshot): void;
  connection(c: Partial<ConnectionState>): void;
}

/** Where the header's facts come from. */
export interface SourceInfo {
  serviceUrl: string;
  adminUrl: string;
  profile: string | undefined;
  tenant: string;
  namespace: string;
}

export interface DashboardSource {
  readonly info: SourceInfo;
  readonly topics: readonly WatchedTopic[];
  /** Start readers and polling; resolves once they are set up (messages may already flow). */
  start(sink: MonitorSink): Promise<void>;
  /** Stop polling and close every reader. Safe to call twice. */
  close(): Promise<void>;
}

/** Broker topic stats JSON (`/admin/v2/persistent/.../stats`) → the parts the dashboard shows. */
export function parseTopicStats(short: string, json: unknown): TopicStats {
  const o = (json ?? {}) as Record<string, unknown>;
  const subs = (o.subscriptions ?? {}) as Record<string, Record<string, unknown>>;
  const subscriptions: SubscriptionStats[] = Object.entries(subs).map(([name, s]) => ({
    name,
    backlog: num(s.msgBacklog),
    consumers: Array.isArray(s.consumers) ? s.consumers.length : 0,
    msgRateOut: num(s.msgRateOut),
    // Older brokers omit isDurable; reader subscriptions are named `reader-…`.
    durable: typeof s.isDurable === 'boolean' ? s.isDurable : !name.startsWith('reader-'),
    ...(typeof s.type === 'string' ? { type: s.type } : {}),
  }));
  subscriptions.sort((a, b) => a.name.localeCompare(b.name));
  return {
    short,
    exists: true,
    msgRateIn: num(o.msgRateIn),
    msgRateOut: num(o.msgRateOut),
    publishers: Array.isArray(o.publishers) ? o.publishers.length : 0,
    subscriptions,
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

// ---- the real source -----------------------------------------------------------------------

/** A reader as the monitor uses it (the client's `Reader` fits). */
export interface MonitorReader extends AsyncIterable<RawMessage & { messageId: MessageId }> {
  close(): Promise<void>;
}

/** What the monitor needs of the Pulsar client (`PulsarClient` fits). */
export interface MonitorClient {
  createReader(opts: { topic: string; start: ReaderStart; receiverQueueSize?: number; startInclusive?: boolean }): Promise<MonitorReader>;
  getSchema(topic: string, version?: Buffer): Promise<{ schema: string } | undefined>;
  close(): Promise<void>;
}

/** Connection state as the client reports it; adapted by `watchClientStatus`. */
export type ClientStatusWatcher = (onChange: (state: BrokerLinkState, detail?: string) => void) => () => void;

/** What the monitor needs of the admin client (`AdminClient` fits). */
export interface MonitorAdmin {
  topicStats(topic: string): Promise<{ raw: Record<string, unknown> }>;
}

export interface MonitorOptions {
  info: SourceInfo;
  topics: readonly WatchedTopic[];
  client: MonitorClient;
  admin: MonitorAdmin;
  /** Subscribe to the client's connection state. */
  watchStatus?: ClientStatusWatcher;
  /** Where readers start: now (default) or a point in the past to fill the screen with history. */
  start?: 'latest' | { publishTime: number };
  statsIntervalMs?: number;
  /** Close the client too when the monitor closes (it created it). */
  ownsClient?: boolean;
  /** Waits between attempts to recreate a failed reader: first, then doubling up to max. */
  retryMs?: { first: number; max: number };
}

/**
 * Non-durable readers on every watched topic plus admin stats polling, pushing into a sink.
 * A reader that fails (topic missing, broker gone) is recreated with backoff from the last
 * message it delivered, so nothing shown twice and nothing skipped; stats polling keeps
 * going and reports the admin link's state.
 */
export class PulsarMonitor implements DashboardSource {
  readonly info: SourceInfo;
  readonly topics: readonly WatchedTopic[];
  private readonly opts: MonitorOptions;
  private sink: MonitorSink | undefined;
  private closed = false;
  private readonly readers = new Set<MonitorReader>();
  private readonly lastDelivered = new Map<string, MessageId>();
  private readonly schemas: WriterSchemas;
  private readonly loops: Promise<void>[] = [];
  private unwatch: (() => void) | undefined;
  /** Aborted by close(), which ends pending sleeps so loops stop promptly. */
  private readonly stopping = new AbortController();

  constructor(opts: MonitorOptions) {
    this.opts = opts;
    this.info = opts.info;
    this.topics = opts.topics;
    this.schemas = new WriterSchemas(opts.client);
  }

  async start(sink: MonitorSink): Promise<void> {
    this.sink = sink;
    this.unwatch = this.opts.watchStatus?.((state, detail) => sink.connection(detail === undefined ? { broker: state } : { broker: state, detail }));
    for (const t of this.topics) this.loops.push(this.follow(t));
    this.loops.push(this.pollStats());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.stopping.abort();
    await Promise.allSettled([...this.readers].map((r) => r.close()));
    if (this.opts.ownsClient) await this.opts.client.close().catch(() => undefined);
    await Promise.allSettled(this.loops);
  }

  private async follow(topic: WatchedTopic): Promise<void> {
    const retry = this.opts.retryMs ?? { first: 500, max: 10_000 };
    const backoff = new Backoff(retry.first, retry.max);
    while (!this.closed) {
      let reader: MonitorReader | undefined;
      try {
        const last = this.lastDelivered.get(topic.short);
        // A recreated reader continues after the last message shown: nothing twice, nothing skipped.
        const start: ReaderStart = last ?? this.opts.start ?? 'latest';
        reader = await this.opts.client.createReader({ topic: topic.name, start, ...(last !== undefined ? { startInclusive: false } : {}) });
        if (this.closed) break;
        this.readers.add(reader);
        this.sink!.connection({ broker: 'connected' });
        backoff.reset();
        for await (const m of reader) {
          if (this.closed) break;
          this.lastDelivered.set(topic.short, m.messageId);
          const writer = await this.writerSchema(topic, m);
          this.sink!.message(observe(topic, m, writer));
        }
      } catch (err) {
        if (this.closed) break;
        const detail = `${topic.short}: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
        const retriable = (err as { retriable?: boolean }).retriable !== false;
        this.sink!.connection(retriable ? { broker: 'reconnecting', detail } : { detail });
      } finally {
        if (reader) {
          this.readers.delete(reader);
          await reader.close().catch(() => undefined);
        }
      }
      if (this.closed) break;
      await sleep(backoff.next(), this.stopping.signal);
    }
  }

  /** The schema a message was written with (shared cache); ours when the registry has none or cannot be asked now. */
  private async writerSchema(topic: WatchedTopic, m: RawMessage): Promise<string | undefined> {
    try {
      return (await this.schemas.lookup({ topic: topic.name, schemaVersion: m.schemaVersion })) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private async pollStats(): Promise<void> {
    while (!this.closed) {
      const results = await Promise.all(
        this.topics.map(async (t): Promise<TopicStats | Error> => {
          try {
            return parseTopicStats(t.short, (await this.opts.admin.topicStats(t.name)).raw);
          } catch (err) {
            if ((err as { status?: number }).status === 404)
              return { short: t.short, exists: false, msgRateIn: 0, msgRateOut: 0, publishers: 0, subscriptions: [] };
            return err as Error;
          }
        }),
      );
      if (this.closed) break;
      const topics = results.filter((r): r is TopicStats => !(r instanceof Error));
      const failure = results.find((r): r is Error => r instanceof Error);
      if (topics.length > 0) this.sink!.stats({ at: Date.now(), topics });
      if (failure && topics.length === 0) this.sink!.connection({ admin: 'unreachable', detail: failure.message.split('\n')[0]! });
      else this.sink!.connection({ admin: 'ok' });
      await sleep(this.opts.statsIntervalMs ?? 2000, this.stopping.signal);
    }
  }
}

/** The client's status stream, as far as the monitor needs it (`PulsarClient.status` fits). */
export interface ClientStatusStream {
  readonly current: { state: string; error?: Error };
  on(event: 'status', listener: (s: { state: string; error?: Error }) => void): () => void;
}

const LINK_OF: Record<string, BrokerLinkState> = {
  idle: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  disconnected: 'disconnected',
  closed: 'disconnected',
};

/** Adapt the client's status stream to the dashboard's broker link state. */
export function watchClientStatus(status: ClientStatusStream): ClientStatusWatcher {
  return (onChange) => {
    const emit = (s: { state: string; error?: Error }): void => {
      const detail = s.error ? String(s.error.message).split('\n')[0] : undefined;
      onChange(LINK_OF[s.state] ?? 'connecting', detail);
    };
    // 'idle' only means no connection was needed yet: the readers will say when they connect.
    if (status.current.state !== 'idle') emit(status.current);
    return status.on('status', emit);
  };
}

/**
 * The dashboard's source for a resolved config: its own client (readers only) and admin
 * client, the twelve watched topics, the client's status stream as the broker link state.
 */
export function createMonitor(cfg: ResolvedConfig, opts: { start?: 'latest' | { publishTime: number }; statsIntervalMs?: number } = {}): PulsarMonitor {
  const { client, admin } = openPulsar(cfg, {
    // A dead broker should show within seconds, not after the default keep-alive window.
    client: { keepAliveIntervalMs: 5_000, reconnect: { initialDelayMs: 250, maxDelayMs: 3_000 } },
    admin: { timeoutMs: 5_000 },
  });
  return new PulsarMonitor({
    info: { serviceUrl: cfg.serviceUrl, adminUrl: cfg.adminUrl, profile: cfg.profile, tenant: cfg.tenant, namespace: cfg.namespace },
    topics: watchedTopics(cfg),
    client,
    admin,
    watchStatus: watchClientStatus(client.status),
    ownsClient: true,
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    ...(opts.statsIntervalMs !== undefined ? { statsIntervalMs: opts.statsIntervalMs } : {}),
  });
}
