/** Public shapes of the client API (the classes live in client/producer/consumer/reader). */
import type { MessageId } from './message-id.js';

export interface SchemaInfo {
  /** 'AVRO' | 'JSON' | 'STRING' | 'BYTES' | 'PROTOBUF' | ... (Pulsar schema type names). */
  type: 'AVRO' | 'BYTES' | 'STRING' | 'JSON' | string;
  name?: string;
  /** The schema definition; JSON text for AVRO and JSON. Empty for BYTES/STRING. */
  schema: string;
  properties?: Record<string, string>;
}

export interface OutgoingMessage {
  payload: Buffer;
  key?: string;
  properties?: Record<string, string>;
  /** Application event time, ms since epoch. */
  eventTime?: number;
  /** Explicit sequence id (for broker-side deduplication); otherwise the producer counts on. */
  sequenceId?: bigint;
}

export interface Message {
  messageId: MessageId;
  /** Topic the message came from (the partition topic for partitioned topics). */
  topic: string;
  payload: Buffer;
  key?: string;
  properties: Record<string, string>;
  /** Broker publish time, ms since epoch. */
  publishTime: number;
  eventTime?: number;
  /** How many times the broker delivered this message before (Shared/Key_Shared only). */
  redeliveryCount: number;
  schemaVersion?: Buffer;
  producerName: string;
  sequenceId: bigint;
}

export interface Producer {
  readonly topic: string;
  readonly producerName: string;
  readonly schemaVersion: Buffer | undefined;
  /** Highest sequence id the broker has confirmed (-1 when none yet). */
  readonly lastSequenceId: bigint;
  /**
   * The broker this handle is attached to now (`pulsar://host:port`, the topic owner, or the
   * owner named through a proxy), undefined while reconnecting; distinct owners joined by ","
   * for a partitioned topic. Shows that a topic moved.
   */
  readonly connectedTo: string | undefined;
  /**
   * Publish one message; resolves with its id once the broker persisted it. Waits while
   * maxPendingMessages are unconfirmed (back-pressure). A message the broker recognised as
   * a duplicate (deduplication) resolves with ledger and entry -1.
   */
  send(msg: OutgoingMessage): Promise<MessageId>;
  /** Send any batched messages now and wait until everything sent so far is confirmed. */
  flush(): Promise<void>;
  /** Flush, then close. */
  close(): Promise<void>;
}

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';

export interface Consumer extends AsyncIterable<Message> {
  readonly topic: string;
  readonly subscription: string;
  /**
   * The broker this handle is attached to now (`pulsar://host:port`, the topic owner, or the
   * owner named through a proxy), undefined while reconnecting; distinct owners joined by ","
   * for a partitioned topic. Shows that a topic moved.
   */
  readonly connectedTo: string | undefined;
  /** The next message, or undefined after `timeoutMs` (wait forever when omitted) or once closed. */
  receive(timeoutMs?: number): Promise<Message | undefined>;
  ack(m: Message): Promise<void>;
  /** Acknowledge this message and every earlier one (Exclusive/Failover). */
  ackCumulative(m: Message): Promise<void>;
  /** Ask for redelivery after nackRedeliveryDelayMs (or dead-letter it past maxRedeliverCount). */
  nack(m: Message): void;
  close(): Promise<void>;
  unsubscribe(): Promise<void>;
}

export interface Reader extends AsyncIterable<Message> {
  readonly topic: string;
  readNext(timeoutMs?: number): Promise<Message | undefined>;
  /** The next message if one is already received, without waiting (scans drain with it, sparing a promise per message). */
  readQueued(): Message | undefined;
  /** Whether a message after the last one read exists on the broker now. */
  hasMessageAvailable(): Promise<boolean>;
  seek(to: MessageId | { publishTime: number }): Promise<void>;
  close(): Promise<void>;
}
