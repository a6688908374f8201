/**
 * What the dashboard shows of a message: `observe` turns a message read from one of the
 * watched topics (commands, events, dead letters) into an `ObservedMessage`, decoded through
 * the catalog with the writer's schema. Pure: no broker.
 */
import type { ServiceName } from '../../config/index.js';
import { decode, specOf, PROPERTY } from '../catalog/index.js';
import { TOPIC_INFO, commandTopicOf, deadLetterTopics, isTopicShortName, topicName, type TopicScope } from '../topics.js';
import { deadLetterOrigin, deadLetterReason } from './dead-letter.js';

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
  /** The decoded payload, kept for the workflow's trace. */
  payload: unknown;
  /** Why a message is undecodable, or the reason a command was rejected / dead-lettered. */
  reason?: string;
}

/** What the monitor needs of a message read from Pulsar (the client's `Message` fits). */
export interface RawMessage {
  messageId: { toString(): string };
  payload: Buffer;
  properties: Record<string, string>;
  publishTime: number;
  eventTime?: number;
  schemaVersion?: Buffer;
}

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
    if (kind === 'dead-letter') reason = deadLetterText(props, codecTopic);
    return {
      ...base,
      kind,
      type: env.type,
      id: env.id,
      correlationId: env.correlation_id,
      causationId: env.causation_id ?? undefined,
      timestamp: Number(env.timestamp),
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
      payload: undefined,
      reason: `undecodable on ${topic.short} (${raw.payload.length} bytes): ${oneLine(err)}`,
    };
  }
}

function originTopicOf(topic: WatchedTopic, props: Record<string, string>): string {
  return deadLetterOrigin(props, topic.name) ?? commandTopicOf(topic.service);
}

function deadLetterText(props: Record<string, string>, origin: string): string {
  const error = deadLetterReason(props);
  return error ? `dead-lettered from ${origin}: ${error}` : `dead-lettered from ${origin}`;
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/** The topics the dashboard watches: the eight command and event topics and the four dead-letter topics. */
export function watchedTopics(scope: TopicScope): WatchedTopic[] {
  return [
    ...TOPIC_INFO.map((t) => ({ short: t.short, name: topicName(scope, t.short), role: t.kind, service: t.owner })),
    ...deadLetterTopics().map((d) => ({ short: d.short, name: topicName(scope, d.short), role: 'dead-letter' as const, service: d.service })),
  ];
}
