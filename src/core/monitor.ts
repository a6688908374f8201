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
import type { ServiceName } from '../config/index.js';

/** How a message is shown: what it is in the system, not which topic carried it. */
export type MessageKind = 'command' | 'event' | 'rejection' | 'dead-letter' | 'undecodable';

export type TopicRole = 'commands' | 'events' | 'dead-letter';

/** One topic the monitor watches. */
export interface WatchedTopic {
  /** Short name, e.g. `campaign-commands` or `campaign-commands-campaign-service-DLQ`. */
  short: string;
  /** Fully qualified name, `persistent://tenant/ns/short`. */
  name: string;
  role: TopicRole;
  /** The service owning the topic: the stage of a workflow its messages belong to. */
  service: ServiceName;
}

export interface ObservedMessage {
  /** Short topic name the message was read from. */
  topic: string;
  role: TopicRole;
  service: ServiceName;
  kind: MessageKind;
  /** Message type (`campaign.created.v1`), or `?` when it could not be decoded. */
  type: string;
  /** Envelope id. */
  id: string;
  correlationId: string;
  causationId: string | undefined;
  /** Envelope timestamp, epoch ms. */
  timestamp: number;
  /** Broker publish time, epoch ms. */
  publishTime: number;
  /** Pulsar message id, `ledger:entry:partition:batch`. */
  messageId: string;
  /** The key fields of the payload on one line (`name=Summer user=u1`). */
  summary: string;
  /** The decoded payload, kept for the workflow's trace. */
  payload: unknown;
  /** Why a message is undecodable, or the reason a command was rejected / dead-lettered. */
  reason?: string;
}

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
