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
import { commandTopicOf, isTopicShortName, shortTopicName } from './topics.js';
import { decode, specOf, PROPERTY } from './catalog/index.js';

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

// ---- decoding ------------------------------------------------------------------------------

/** What the monitor needs of a message read from Pulsar (the client's `Message` fits). */
export interface RawMessage {
  messageId: { toString(): string };
  payload: Buffer;
  properties: Record<string, string>;
  publishTime: number;
  eventTime?: number;
  schemaVersion?: Buffer;
}

/** Properties the client sets when it dead-letters a message (Pulsar's own names). */
export const DLQ_PROPERTY = { realTopic: 'REAL_TOPIC', originMessageId: 'ORIGIN_MESSAGE_ID' } as const;

/**
 * A message read from a watched topic → what the dashboard shows. Never throws: bytes that do
 * not decode become an `undecodable` message that still carries what the properties say.
 * `writerSchema` is the schema text the message was written with, when it differs from ours.
 */
export function observe(topic: WatchedTopic, raw: RawMessage, writerSchema?: string): ObservedMessage {
  const props = raw.properties ?? {};
  const base = {
    topic: topic.short,
    role: topic.role,
    service: topic.service,
    publishTime: raw.publishTime,
    messageId: raw.messageId.toString(),
  };
  // A dead letter is the original command, re-published: decode it as its origin topic.
  const codecTopic = topic.role === 'dead-letter' ? originTopicOf(topic, props) : topic.short;
  try {
    if (!isTopicShortName(codecTopic)) throw new Error(`no schema for topic ${codecTopic}`);
    const env = decode(codecTopic, raw.payload, writerSchema);
    const spec = specOf(env.type);
    const payload = env.payload as unknown as Record<string, unknown>;
    const kind: MessageKind = topic.role === 'dead-letter' ? 'dead-letter' : (spec?.kind ?? 'event');
    let reason: string | undefined;
    if (kind === 'rejection') reason = `${String(payload.reason_code)}: ${String(payload.message)}`;
    if (kind === 'dead-letter') reason = deadLetterReason(props, codecTopic);
    return {
      ...base,
      kind,
      type: env.type,
      id: env.id,
      correlationId: env.correlation_id,
      causationId: env.causation_id ?? undefined,
      timestamp: Number(env.timestamp),
      summary: summarize(payload),
      payload,
      ...(reason !== undefined ? { reason } : {}),
    };
  } catch (err) {
    return {
      ...base,
      kind: 'undecodable',
      type: props[PROPERTY.type] ?? '?',
      id: props[PROPERTY.id] ?? base.messageId,
      correlationId: props[PROPERTY.correlationId] ?? '',
      causationId: props[PROPERTY.causationId],
      timestamp: raw.eventTime || raw.publishTime,
      summary: `${raw.payload.length} bytes`,
      payload: undefined,
      reason: `undecodable on ${topic.short}: ${oneLine(err)}`,
    };
  }
}

function originTopicOf(topic: WatchedTopic, props: Record<string, string>): string {
  const real = props[DLQ_PROPERTY.realTopic];
  if (real) {
    const short = shortTopicName(real).replace(/-partition-\d+$/, '');
    if (isTopicShortName(short)) return short;
  }
  return commandTopicOf(topic.service);
}

function deadLetterReason(props: Record<string, string>, origin: string): string {
  const error = Object.entries(props).find(([k]) => /error|reason/i.test(k))?.[1];
  return error ? `dead-lettered from ${origin}: ${error}` : `dead-lettered from ${origin}`;
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/**
 * The payload on one line: its scalar fields except ids and keys (the correlation id column
 * already tells workflows apart), money shown with its currency, values cut short.
 */
export function summarize(payload: Record<string, unknown> | undefined): string {
  if (!payload || typeof payload !== 'object') return '';
  const parts: string[] = [];
  const currency = typeof payload.currency === 'string' ? payload.currency : undefined;
  for (const [k, v] of Object.entries(payload)) {
    if (v === null || v === undefined || k === 'currency') continue;
    if (k.endsWith('_id') || k.endsWith('_key')) continue;
    if (typeof v === 'object') continue;
    let text = typeof v === 'string' ? v : String(v);
    if (/_minor$/.test(k) && currency) text = `${formatMinor(v)} ${currency}`;
    if (text.length > 32) text = text.slice(0, 31) + '…';
    parts.push(`${k.replace(/_minor$/, '')}=${text}`);
    if (parts.length >= 5) break;
  }
  return parts.join(' ');
}

function formatMinor(v: unknown): string {
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? (n / 100).toFixed(2) : String(v);
}
