/** What a consumer is asked to be: its subscription, queue, redelivery and reader-mode settings. */
import { UsageError } from '../../errors.js';
import { InitialPosition, SubType, type CommandSubscribe } from '../protocol/definitions.js';
import type { MessageId } from '../message-id.js';
import type { SubscriptionType } from '../types.js';

export interface DeadLetterOptions {
  /** Deliveries after the first before a nacked message goes to the dead-letter topic. */
  maxRedeliverCount: number;
  /** Default: `<topic>-<subscription>-DLQ` (Pulsar's convention). */
  topic?: string;
}

export interface ConsumerOptions {
  topic: string;
  /** The partitioned topic this partition belongs to (names the default DLQ). */
  parentTopic?: string;
  subscription: string;
  type?: SubscriptionType;
  initialPosition?: 'latest' | 'earliest';
  receiverQueueSize?: number;
  nackRedeliveryDelayMs?: number;
  /** How long acknowledgements wait to go out together (ms). Default 10 (the Java client's acknowledgmentGroupTime is 100). */
  ackGroupingMs?: number;
  deadLetter?: DeadLetterOptions;
  consumerName?: string;
  /** Reader mode: a non-durable subscription that disappears with the consumer. */
  durable?: boolean;
  /** Reader mode: where a non-durable subscription starts. */
  startMessageId?: MessageId;
  startInclusive?: boolean;
  /** Reader mode: grant no permits on the first subscribe (a seek follows at once). */
  holdFirstFlow?: boolean;
}

const SUB_TYPES: Record<SubscriptionType, number> = {
  Exclusive: SubType.Exclusive,
  Shared: SubType.Shared,
  Failover: SubType.Failover,
  Key_Shared: SubType.Key_Shared,
};

export function subTypeOf(opts: ConsumerOptions): number {
  const type = opts.type ?? 'Exclusive';
  if (!(type in SUB_TYPES)) throw new UsageError(`unknown subscription type "${type}"`, { hint: 'Use Exclusive, Shared, Failover or Key_Shared.' });
  return SUB_TYPES[type];
}

/** The SUBSCRIBE command for these options (the start position is added by the caller). */
export function subscribeCommand(opts: ConsumerOptions, ids: { consumerId: number; requestId: number; epoch: number }): CommandSubscribe {
  const subscribe: CommandSubscribe = {
    topic: opts.topic,
    subscription: opts.subscription,
    subType: subTypeOf(opts),
    consumer_id: ids.consumerId,
    request_id: ids.requestId,
    durable: opts.durable ?? true,
    initialPosition: opts.initialPosition === 'earliest' ? InitialPosition.Earliest : InitialPosition.Latest,
    consumer_epoch: ids.epoch,
  };
  if (opts.consumerName !== undefined) subscribe.consumer_name = opts.consumerName;
  return subscribe;
}
