/**
 * The table of every message miso knows: type ↔ short name ↔ topic ↔ Avro record ↔ owner
 * ↔ kind ↔ message key. The Avro shapes live in `schemas/`; this table says where each
 * message travels and who owns it. A unit test keeps the two in step (every type's record
 * is a branch of its topic's envelope union, and nothing else is).
 */

import type { TopicShortName } from '../topics.js';
import type { ServiceName } from '../../config/index.js';
import { UsageError } from '../../errors.js';

// Topic names are decided in src/core/topics.ts; re-exported so catalog users need one import.
export {
  TOPICS,
  COMMAND_TOPICS,
  EVENT_TOPICS,
  isTopicShortName,
  topicOwner,
  commandTopicOf,
  eventTopicOf,
  topicName,
  shortTopicName,
  type TopicShortName,
  type CommandTopic,
  type EventTopic,
} from '../topics.js';
export { SERVICES, type ServiceName } from '../../config/index.js';

export type MessageKind = 'command' | 'event' | 'rejection';

export interface MessageSpec {
  /** Full message type, the `type` field of the envelope and the `type` property. */
  readonly type: string;
  /** What people type: `campaign.create`, `video.added`. */
  readonly short: string;
  readonly kind: MessageKind;
  /** Full name of the Avro record in `schemas/messages/<type>.avsc`. */
  readonly record: string;
  /**
   * Topics the message travels on. A command has one; the rejection event goes out on
   * the event topic of whichever service refused the command.
   */
  readonly topics: readonly TopicShortName[];
  /** The service that consumes a command, or publishes an event. Rejections: every service. */
  readonly owner: ServiceName | 'any';
  /**
   * Payload field whose value is the Pulsar message key. It is the id that decides order
   * and uniqueness for the message, so Key_Shared delivers duplicates and successors of
   * one aggregate to the same consumer, in order: the campaign for campaign messages, the
   * tracking event for tracking and commission messages (one commission per tracking
   * event), the commission for payment messages (one payout per commission).
   */
  readonly keyField: string;
  /**
   * Id fields a sender may leave out: `miso send` and `newPayload` fill them with a fresh
   * UUID (ids of the thing the command creates).
   */
  readonly generatedIds: readonly string[];
  /** One line for `schemas list`, help text and the AsyncAPI summary. */
  readonly summary: string;
}

const SPECS = [
  {
    type: 'campaign.create.command.v1',
    short: 'campaign.create',
    kind: 'command',
    record: 'miso.campaign.CreateCampaign',
    topics: ['campaign-commands'],
    owner: 'campaign',
    keyField: 'campaign_id',
    generatedIds: ['campaign_id'],
    summary: 'create a campaign owned by a user',
  },
  {
    type: 'campaign.add_video.command.v1',
    short: 'campaign.add_video',
    kind: 'command',
    record: 'miso.campaign.AddVideo',
    topics: ['campaign-commands'],
    owner: 'campaign',
    keyField: 'campaign_id',
    generatedIds: ['video_id'],
    summary: 'attach a video to a campaign',
  },
  {
    type: 'tracking.create_event.command.v1',
    short: 'tracking.create_event',
    kind: 'command',
    record: 'miso.tracking.CreateTrackingEvent',
    topics: ['tracking-commands'],
    owner: 'tracking',
    keyField: 'tracking_event_id',
    generatedIds: ['tracking_event_id'],
    summary: 'record a view, click or conversion on a campaign video',
  },
  {
    type: 'commission.calculate.command.v1',
    short: 'commission.calculate',
    kind: 'command',
    record: 'miso.commission.CalculateCommission',
    topics: ['commission-commands'],
    owner: 'commission',
    keyField: 'tracking_event_id',
    generatedIds: ['commission_id'],
    summary: 'compute the commission owed for a tracking event',
  },
  {
    type: 'payment.process.command.v1',
    short: 'payment.process',
    kind: 'command',
    record: 'miso.payment.ProcessPayment',
    topics: ['payment-commands'],
    owner: 'payment',
    keyField: 'commission_id',
    generatedIds: ['payment_id'],
    summary: 'pay a commission out to its earner, once',
  },
  {
    type: 'campaign.created.v1',
    short: 'campaign.created',
    kind: 'event',
    record: 'miso.campaign.CampaignCreated',
    topics: ['campaign-events'],
    owner: 'campaign',
    keyField: 'campaign_id',
    generatedIds: [],
    summary: 'a campaign was created',
  },
  {
    type: 'video.added.v1',
    short: 'video.added',
    kind: 'event',
    record: 'miso.campaign.VideoAdded',
    topics: ['campaign-events'],
    owner: 'campaign',
    keyField: 'campaign_id',
    generatedIds: [],
    summary: 'a video was attached to a campaign',
  },
  {
    type: 'tracking_event.created.v1',
    short: 'tracking_event.created',
    kind: 'event',
    record: 'miso.tracking.TrackingEventCreated',
    topics: ['tracking-events'],
    owner: 'tracking',
    keyField: 'tracking_event_id',
    generatedIds: [],
    summary: 'a visitor interaction was recorded',
  },
  {
    type: 'commission.calculated.v1',
    short: 'commission.calculated',
    kind: 'event',
    record: 'miso.commission.CommissionCalculated',
    topics: ['commission-events'],
    owner: 'commission',
    keyField: 'tracking_event_id',
    generatedIds: [],
    summary: 'the commission for a tracking event was computed',
  },
  {
    type: 'payment.processed.v1',
    short: 'payment.processed',
    kind: 'event',
    record: 'miso.payment.PaymentProcessed',
    topics: ['payment-events'],
    owner: 'payment',
    keyField: 'commission_id',
    generatedIds: [],
    summary: 'a commission was paid out, or the payout failed for good',
  },
  {
    type: 'command.rejected.v1',
    short: 'command.rejected',
    kind: 'rejection',
    record: 'miso.common.CommandRejected',
    topics: ['campaign-events', 'tracking-events', 'commission-events', 'payment-events'],
    owner: 'any',
    keyField: 'command_id',
    generatedIds: [],
    summary: 'a command was refused and will not be retried',
  },
] as const satisfies readonly MessageSpec[];

export type MessageType = (typeof SPECS)[number]['type'];
export type ShortName = (typeof SPECS)[number]['short'];
export type CommandType = Extract<(typeof SPECS)[number], { kind: 'command' }>['type'];
export type EventType = Extract<(typeof SPECS)[number], { kind: 'event' | 'rejection' }>['type'];

/** Every message type, commands first, in a stable order. */
export const MESSAGE_TYPES: readonly MessageType[] = SPECS.map((s) => s.type);
export const COMMAND_TYPES: readonly CommandType[] = SPECS.filter((s) => s.kind === 'command').map((s) => s.type as CommandType);
export const SHORT_NAMES: readonly ShortName[] = SPECS.map((s) => s.short);

const byType = new Map<string, MessageSpec>(SPECS.map((s) => [s.type, s]));
const byShort = new Map<string, MessageSpec>(SPECS.map((s) => [s.short, s]));
const byRecord = new Map<string, MessageSpec>(SPECS.map((s) => [s.record, s]));

export function allSpecs(): readonly MessageSpec[] {
  return SPECS;
}

export function isMessageType(value: string): value is MessageType {
  return byType.has(value);
}

/** The spec of a full type, or undefined. */
export function specOf(type: string): MessageSpec | undefined {
  return byType.get(type);
}

export function specOfRecord(recordFullName: string): MessageSpec | undefined {
  return byRecord.get(recordFullName);
}

/**
 * Look a message up by what a person typed: the full type, the short name, or the short
 * name with dashes for underscores (`tracking.create-event`).
 */
export function findSpec(typed: string): MessageSpec | undefined {
  const t = typed.trim();
  return byType.get(t) ?? byShort.get(t) ?? byShort.get(t.replace(/-/g, '_')) ?? byType.get(t.replace(/-/g, '_'));
}

/** The message types a topic carries (the branches of its envelope union, in order). */
export function typesOnTopic(topic: TopicShortName): MessageType[] {
  return SPECS.filter((s) => (s.topics as readonly string[]).includes(topic)).map((s) => s.type);
}

/** The topic a command goes to, or the topic an event is published on by its owner. */
export function topicOf(type: MessageType, owner?: ServiceName): TopicShortName {
  const spec = byType.get(type)!;
  if (spec.topics.length === 1) return spec.topics[0]!;
  if (!owner) {
    throw new UsageError(`${type} travels on several topics (${spec.topics.join(', ')})`, {
      hint: 'Say which one: `miso send` takes --topic <topic>; in code pass the publishing service.',
    });
  }
  return `${owner}-events`;
}

export function topicKind(topic: TopicShortName): 'commands' | 'events' {
  return topic.endsWith('-commands') ? 'commands' : 'events';
}
