/**
 * Consumer of one (non-partitioned or single partition) topic, also the engine under the
 * Reader (a non-durable, exclusive subscription with a start position).
 *
 * Flow control: the broker sends at most as many messages as we granted permits; we grant
 * `receiverQueueSize` at subscribe and top up once half of that has been handed to the
 * application. Batches arrive as one entry and are split into messages here; a batch entry
 * is acknowledged on the broker once all of its messages were acknowledged.
 */
import { RecentAcks } from './recent-acks.js';
import { UsageError } from '../errors.js';
import type { ClientContext } from './context.js';
import type { Connection, ConsumerHandler } from './connection.js';
import { AlreadyClosedError, ConnectionClosedError } from './errors.js';
import { MessageId, type BatchAckState } from './message-id.js';
import { CommandType } from './protocol/commands.js';
import {
  AckType,
  AckValidationError,
  InitialPosition,
  SubType,
  type CommandActiveConsumerChange,
  type CommandMessage,
  type CommandSeek,
  type CommandSubscribe,
  type MessageIdData,
} from './protocol/definitions.js';
import { decompress } from './protocol/compression.js';
import { BatchEntryCursor, type PayloadSection } from './protocol/frame.js';
import { ReceivedMessage } from './received-message.js';
import { Backoff } from './status.js';
import { reconnectWithBackoff } from './reconnect.js';
import { partitionIndexOf } from './topic-name.js';
import type { Consumer, Message, OutgoingMessage, Producer, SubscriptionType } from './types.js';

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

const CLOSE_TIMEOUT_MS = 3_000;

type State = 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/** FIFO with O(1) push/shift. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  clear(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

interface Waiter {
  resolve: (m: Message | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

function entryKey(id: MessageId): string {
  return `${id.ledgerId}:${id.entryId}`;
}

export class ConsumerImpl implements Consumer, ConsumerHandler {
  readonly topic: string;
  readonly subscription: string;
  readonly consumerId: number;
  private state: State = 'connecting';
  private cnx: Connection | undefined;
  private readonly subType: number;
  private readonly queueSize: number;
  private readonly partition: number;
  private queue = new Queue<Message>();
  private waiters: Waiter[] = [];
  private permitsToGrant = 0;
  private epoch = 0;
  private readonly backoff = new Backoff();
  private pendingAcks: MessageIdData[] = [];
  private readonly recentAcks = new RecentAcks();
  /** One promise per group of acks, settled when the group is written. */
  private ackGroup: { promise: Promise<void>; resolve: () => void } | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private nacked = new Map<string, { id: MessageId; due: number }>();
  private nackTimer: NodeJS.Timeout | undefined;
  private readonly nackDelay: number;
  private dlqProducers = new Map<string, Promise<Producer>>();
  private readonly dlqTopic: string | undefined;
  /** Last message handed to the application (readers restart after it on reconnect). */
  lastDequeued: MessageId | undefined;
  /** Where a (re)subscription of a non-durable subscription starts, and how. */
  private startId: MessageId | undefined;
  private startInclusive: boolean;
  private active = true;
  private filterStart = true;
  private connects = 0;
  private endOfTopic = false;
  private closeWaiters: (() => void)[] = [];

  constructor(
    private readonly ctx: ClientContext,
    private readonly opts: ConsumerOptions,
  ) {
    this.topic = opts.topic;
    this.subscription = opts.subscription;
    this.consumerId = ctx.nextId('consumer');
    const type = opts.type ?? 'Exclusive';
    if (!(type in SUB_TYPES)) throw new UsageError(`unknown subscription type "${type}"`, { hint: 'Use Exclusive, Shared, Failover or Key_Shared.' });
    this.subType = SUB_TYPES[type];
    this.queueSize = Math.max(1, opts.receiverQueueSize ?? 1000);
    this.partition = partitionIndexOf(opts.topic);
    this.nackDelay = Math.max(0, opts.nackRedeliveryDelayMs ?? 60_000);
    this.startId = opts.startMessageId;
    this.startInclusive = opts.startInclusive ?? false;
    if (opts.deadLetter) this.dlqTopic = opts.deadLetter.topic ?? `${opts.parentTopic ?? opts.topic}-${opts.subscription}-DLQ`;
  }

  /** Closing or closed (re-read after awaits: the state may change meanwhile). */
  private get stopping(): boolean {
    return this.state === 'closed' || this.state === 'closing';
  }

  /** Messages waiting in the receiver queue. */
  get queued(): number {
    return this.queue.length;
  }

  get isConnected(): boolean {
    return this.state === 'ready';
  }

  /** Failover: whether the broker currently dispatches to this consumer. */
  get isActive(): boolean {
    return this.active;
  }

  get hasReachedEndOfTopic(): boolean {
    return this.endOfTopic;
  }

  get connectedTo(): string | undefined {
    return this.isConnected ? this.cnx?.address : undefined;
  }

  /** Connection currently used (readers ask it for the last message id). */
  get connection(): Connection | undefined {
    return this.cnx;
  }

  async start(): Promise<void> {
    await this.ctx.retryStartup(() => this.connect(), `subscribing to ${this.topic}`);
  }

  private async connect(): Promise<void> {
    const cnx = await this.ctx.connectionFor(this.topic);
    if (this.state === 'closed' || this.state === 'closing') throw new AlreadyClosedError('consumer');
    const requestId = this.ctx.nextId('request');
    const durable = this.opts.durable ?? true;
    const subscribe: CommandSubscribe = {
      topic: this.topic,
      subscription: this.subscription,
      subType: this.subType,
      consumer_id: this.consumerId,
      request_id: requestId,
      durable,
      initialPosition: this.opts.initialPosition === 'earliest' ? InitialPosition.Earliest : InitialPosition.Latest,
      consumer_epoch: this.epoch,
    };
    if (this.opts.consumerName !== undefined) subscribe.consumer_name = this.opts.consumerName;
    // Anything still queued is stale: the broker redelivers what was not acknowledged.
    this.dropQueue();
    // A reader resumes after the last message the application took, which may have moved on
    // while we were disconnected (it kept reading the queue). Decide it now, not at the loss.
    if (!durable && this.lastDequeued) {
      this.startId = this.lastDequeued;
      this.startInclusive = false;
    }
    if (!durable && this.startId) subscribe.start_message_id = this.subscribeStart(this.startId, this.startInclusive);
    this.filterStart = true;
    this.connects++;
    cnx.registerConsumer(this.consumerId, this);
    try {
      await cnx.request({ type: CommandType.SUBSCRIBE, subscribe }, requestId, `subscribing to ${this.topic} as ${this.subscription}`);
    } catch (err) {
      cnx.unregisterConsumer(this.consumerId);
      throw err;
    }
    if (this.stopping) {
      cnx.unregisterConsumer(this.consumerId);
      return;
    }
    this.cnx = cnx;
    this.state = 'ready';
    this.backoff.reset();
    this.permitsToGrant = 0;
    // Acknowledgements kept while disconnected go first, so the broker does not dispatch those entries again.
    this.flushAcks();
    if (this.opts.holdFirstFlow && this.connects === 1) return;
    cnx.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.consumerId, messagePermits: this.queueSize } });
  }

  /**
   * The protocol's start position is exclusive for a plain entry id. For an inclusive start,
   * or inside a batch, ask for the entry before and drop the extra messages on arrival.
   */
  private subscribeStart(id: MessageId, inclusive: boolean): MessageIdData {
    if (id === MessageId.earliest || id === MessageId.latest) return id.toData(false);
    if (inclusive || id.batchIndex >= 0) {
      return { ledgerId: id.ledgerId, entryId: id.entryId, batch_index: Math.max(0, id.batchIndex) };
    }
    return { ledgerId: id.ledgerId, entryId: id.entryId };
  }

  /**
   * Whether a message lies before the reader's start and must be skipped. Only the first
   * entry after a (re)subscribe can hold such messages; the filter turns off once one passes.
   */
  private beforeStart(id: MessageId): boolean {
    if (!this.filterStart) return false;
    const s = this.startId;
    if (!s || s === MessageId.earliest || s === MessageId.latest || (this.opts.durable ?? true)) {
      this.filterStart = false;
      return false;
    }
    let before: boolean;
    if (id.ledgerId !== s.ledgerId || id.entryId !== s.entryId) before = id.compare(s) < 0;
    else if (s.batchIndex < 0 || id.batchIndex < 0) before = !this.startInclusive;
    else before = this.startInclusive ? id.batchIndex < s.batchIndex : id.batchIndex <= s.batchIndex;
    if (!before) this.filterStart = false;
    return before;
  }

  // -------------------------------------------------------------------------------------
  // Incoming messages

  onMessage(cmd: CommandMessage, section: PayloadSection): void {
    if (this.state !== 'ready') return;
    if (cmd.consumer_epoch !== undefined && cmd.consumer_epoch < this.epoch) {
      // Sent before a redeliver-all: the broker will send it again.
      this.grantPermits(1);
      return;
    }
    const md = section.metadata;
    const idData = cmd.message_id;
    if (this.recentAcks.has(idData.ledgerId, idData.entryId)) {
      // Already acknowledged by the application; the ack was lost in a move. Ack again, deliver nothing.
      this.ctx.log(`${this.topic}: dropping redelivered ${idData.ledgerId}:${idData.entryId}, acknowledged before`);
      this.pendingAcks.push({ ledgerId: idData.ledgerId, entryId: idData.entryId });
      if (this.ackTimer === undefined) this.ackTimer = setTimeout(() => this.flushAcks(), 10);
      this.grantPermits(md.num_messages_in_batch ?? 1);
      return;
    }
    const redeliveryCount = cmd.redelivery_count ?? 0;
    let payload = section.payload;
    if (md.compression) {
      try {
        payload = decompress(md.compression, payload, md.uncompressed_size ?? 0);
      } catch (err) {
        this.ctx.log(`dropping an undecodable message on ${this.topic}: ${(err as Error).message}`);
        this.discard(idData, AckValidationError.DecompressionError, md.num_messages_in_batch ?? 1);
        return;
      }
    }
    if (md.num_messages_in_batch === undefined) {
      const id = new MessageId(idData.ledgerId, idData.entryId, this.partition, -1);
      if (this.beforeStart(id)) {
        this.grantPermits(1);
        return;
      }
      const m = new ReceivedMessage(id, this.topic, payload, md.publish_time, redeliveryCount, md.producer_name, md.properties, 0, 0, md.sequence_id, 0);
      if (md.partition_key !== undefined) m.key = md.partition_key;
      if (md.event_time) m.eventTime = md.event_time;
      if (md.schema_version && md.schema_version.length > 0) m.schemaVersion = md.schema_version;
      this.deliver(m);
      return;
    }
    const n = md.num_messages_in_batch;
    // Every entry takes at least six bytes (its size and payload_size): a count the payload
    // cannot hold is a lie, refused before anything is sized by it.
    if (!Number.isInteger(n) || n < 0 || n * 6 > payload.length) {
      this.ctx.log(`dropping a batch on ${this.topic} that claims ${n} messages in ${payload.length} bytes`);
      this.discard(idData, AckValidationError.BatchDeSerializeError, 1);
      return;
    }
    const ackSet = cmd.ack_set;
    const schemaVersion = md.schema_version && md.schema_version.length > 0 ? md.schema_version : undefined;
    const acked = new Uint8Array(n);
    const state: BatchAckState = { remaining: 0, acked };
    let skipped = 0;
    const msgs: Message[] = [];
    // Nothing is delivered until the whole batch has been read: a bad entry drops all of it.
    const e = new BatchEntryCursor(payload, n);
    try {
      while (e.next()) {
        const i = e.index;
        const id = new MessageId(idData.ledgerId, idData.entryId, this.partition, i, n);
        // Indexes the broker already has as acknowledged (ack_set), compacted away or before a
        // reader's start are not delivered; they count as acknowledged for the entry.
        if ((ackSet && ackSet.length > 0 && !bitSet(ackSet, i)) || e.compactedOut || this.beforeStart(id)) {
          acked[i] = 1;
          skipped++;
          continue;
        }
        id.batchAck = state;
        state.remaining++;
        const m = new ReceivedMessage(
          id, this.topic, e.payload, md.publish_time, redeliveryCount, md.producer_name,
          e.hasProperties ? payload : undefined, e.metaStart, e.metaEnd,
          e.sequenceId ?? md.sequence_id, e.sequenceId === undefined ? i : 0,
        );
        if (e.partitionKey !== undefined) m.key = e.partitionKey;
        const et = e.eventTime ?? md.event_time;
        if (et) m.eventTime = et;
        if (schemaVersion) m.schemaVersion = schemaVersion;
        msgs.push(m);
      }
    } catch (err) {
      this.ctx.log(`dropping an undecodable batch on ${this.topic}: ${(err as Error).message}`);
      this.discard(idData, AckValidationError.BatchDeSerializeError, n);
      return;
    }
    if (skipped > 0) this.grantPermits(skipped);
    for (const m of msgs) this.deliver(m);
  }

  onCorruptMessage(cmd: CommandMessage): void {
    this.discard(cmd.message_id, AckValidationError.ChecksumMismatch, 1);
  }

  /** Acknowledge a message we cannot read so it does not come back, and restore its permits. */
  private discard(id: MessageIdData, validationError: number, permits: number): void {
    this.cnx?.sendCommand({
      type: CommandType.ACK,
      ack: { consumer_id: this.consumerId, ack_type: AckType.Individual, message_id: [{ ledgerId: id.ledgerId, entryId: id.entryId }], validation_error: validationError },
    });
    this.grantPermits(permits);
  }

  private deliver(m: Message): void {
    const w = this.waiters.shift();
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      this.handOut(m);
      w.resolve(m);
      return;
    }
    this.queue.push(m);
  }

  /** The application takes a message: remember it and count the permit. */
  private handOut(m: Message): void {
    this.lastDequeued = m.messageId;
    this.grantPermits(1);
  }

  private grantPermits(n: number): void {
    this.permitsToGrant += n;
    if (this.permitsToGrant >= Math.max(1, this.queueSize >> 1) && this.state === 'ready' && this.cnx) {
      this.cnx.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.consumerId, messagePermits: this.permitsToGrant } });
      this.permitsToGrant = 0;
    }
  }

  private dropQueue(): void {
    this.queue.clear();
  }

  /** A queued message, taken without waiting; undefined when the queue is empty. */
  receiveQueued(): Message | undefined {
    const m = this.queue.shift();
    if (m) this.handOut(m);
    return m;
  }

  receive(timeoutMs?: number): Promise<Message | undefined> {
    const m = this.queue.shift();
    if (m) {
      this.handOut(m);
      return Promise.resolve(m);
    }
    if (this.state === 'closed' || this.state === 'closing') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w: Waiter = { resolve, timer: undefined };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(undefined);
        }, Math.max(0, timeoutMs));
      }
      this.waiters.push(w);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      const m = await this.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  // -------------------------------------------------------------------------------------
  // Acknowledgements

  ack(m: Message): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new AlreadyClosedError('consumer'));
    const id = m.messageId;
    if (this.nacked.size > 0) this.nacked.delete(entryKey(id));
    const batch = id.batchAck;
    if (batch && id.batchIndex >= 0) {
      if (batch.acked[id.batchIndex] === 0) {
        batch.acked[id.batchIndex] = 1;
        batch.remaining--;
      }
      // The entry is acknowledged on the broker once every message of it is.
      if (batch.remaining > 0) return Promise.resolve();
      id.batchAck = undefined;
    }
    this.pendingAcks.push({ ledgerId: id.ledgerId, entryId: id.entryId });
    this.recentAcks.add(id.ledgerId, id.entryId);
    let group = this.ackGroup;
    if (!group) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      group = this.ackGroup = { promise, resolve };
    }
    if (this.pendingAcks.length >= 1000) this.flushAcks();
    else if (this.ackTimer === undefined) this.ackTimer = setTimeout(() => this.flushAcks(), 10);
    return group.promise;
  }

  /** Send grouped individual acks (when connected; otherwise after the resubscribe). */
  private flushAcks(): void {
    if (this.ackTimer !== undefined) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    if (this.pendingAcks.length === 0 || !this.cnx || this.state !== 'ready') return;
    const ids = this.pendingAcks;
    const group = this.ackGroup;
    this.pendingAcks = [];
    this.ackGroup = undefined;
    this.cnx.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.consumerId, ack_type: AckType.Individual, message_id: ids } });
    group?.resolve();
  }

  async ackCumulative(m: Message): Promise<void> {
    if (this.state === 'closed') throw new AlreadyClosedError('consumer');
    if (this.subType === SubType.Shared || this.subType === SubType.Key_Shared) {
      throw new UsageError('cumulative acknowledgement is not allowed on Shared or Key_Shared subscriptions', { hint: 'Acknowledge messages one by one with ack().' });
    }
    const id = m.messageId;
    let entry = id.entryId;
    // Inside a batch that is not fully consumed, acknowledge only up to the previous entry.
    if (id.batchIndex >= 0 && id.batchSize > 0 && id.batchIndex < id.batchSize - 1) {
      if (entry === 0n) return;
      entry -= 1n;
    }
    for (const key of [...this.nacked.keys()]) {
      const n = this.nacked.get(key)!;
      if (n.id.compare(id) <= 0) this.nacked.delete(key);
    }
    this.flushAcks();
    if (!this.cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot acknowledge on ${this.topic} while reconnecting`);
    this.cnx.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.consumerId, ack_type: AckType.Cumulative, message_id: [{ ledgerId: id.ledgerId, entryId: entry }] } });
  }

  nack(m: Message): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.opts.deadLetter && m.redeliveryCount >= this.opts.deadLetter.maxRedeliverCount) {
      void this.deadLetter(m);
      return;
    }
    const id = m.messageId;
    this.nacked.set(entryKey(id), { id, due: Date.now() + this.nackDelay });
    this.scheduleNackTimer();
  }

  private scheduleNackTimer(): void {
    if (this.nackTimer !== undefined) return;
    let first = Infinity;
    for (const n of this.nacked.values()) first = Math.min(first, n.due);
    if (first === Infinity) return;
    this.nackTimer = setTimeout(
      () => {
        this.nackTimer = undefined;
        this.redeliverDue();
        this.scheduleNackTimer();
      },
      Math.max(0, first - Date.now()),
    );
  }

  private redeliverDue(): void {
    if (!this.cnx || this.state !== 'ready') {
      // Retry once we are connected again (the resubscribe also redelivers all unacked).
      return;
    }
    const now = Date.now();
    const due: MessageIdData[] = [];
    for (const [key, n] of this.nacked) {
      if (n.due <= now) {
        due.push({ ledgerId: n.id.ledgerId, entryId: n.id.entryId });
        this.nacked.delete(key);
      }
    }
    if (due.length === 0) return;
    if (this.subType === SubType.Shared || this.subType === SubType.Key_Shared) {
      this.cnx.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, message_ids: due },
      });
      return;
    }
    // Exclusive/Failover: the broker rewinds to the first unacknowledged message. Drop what
    // we hold (it comes again) and ignore anything still in flight from before (epoch).
    const dropped = this.queue.clear().length;
    this.epoch++;
    this.cnx.sendCommand({
      type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, consumer_epoch: this.epoch },
    });
    if (dropped > 0) this.grantPermits(dropped);
  }

  /** Republish to the dead-letter topic (same payload, key, properties + origin), then ack. */
  private async deadLetter(m: Message): Promise<void> {
    try {
      const versionKey = m.schemaVersion ? m.schemaVersion.toString('hex') : '';
      let producer = this.dlqProducers.get(versionKey);
      if (!producer) {
        producer = (async () => {
          const schema = m.schemaVersion ? await this.ctx.getSchema(m.topic, m.schemaVersion) : undefined;
          return this.ctx.createProducer({ topic: this.dlqTopic!, batching: false, ...(schema ? { schema } : {}) });
        })();
        this.dlqProducers.set(versionKey, producer);
        producer.catch(() => this.dlqProducers.delete(versionKey));
      }
      const p = await producer;
      const out: OutgoingMessage = {
        payload: m.payload,
        properties: { ...m.properties, REAL_TOPIC: m.topic, ORIGIN_MESSAGE_ID: m.messageId.toString() },
      };
      if (m.key !== undefined) out.key = m.key;
      if (m.eventTime !== undefined) out.eventTime = m.eventTime;
      await p.send(out);
      await this.ack(m);
      this.ctx.log(`dead-lettered ${m.messageId.toString()} from ${m.topic} to ${this.dlqTopic} after ${m.redeliveryCount} redeliveries`);
    } catch (err) {
      this.ctx.log(`could not dead-letter ${m.messageId.toString()} to ${this.dlqTopic}: ${(err as Error).message}; redelivering instead`);
      if (this.state === 'closed' || this.state === 'closing') return;
      this.nacked.set(entryKey(m.messageId), { id: m.messageId, due: Date.now() + this.nackDelay });
      this.scheduleNackTimer();
    }
  }

  // -------------------------------------------------------------------------------------
  // Broker notifications and reconnect

  onReachedEndOfTopic(): void {
    this.endOfTopic = true;
  }

  onActiveConsumerChange(change: CommandActiveConsumerChange): void {
    this.active = change.is_active ?? false;
  }

  onClosedByBroker(): void {
    this.cnx?.unregisterConsumer(this.consumerId);
    this.lostConnection();
  }

  onConnectionClosed(): void {
    this.lostConnection();
  }

  private lostConnection(): void {
    if (this.state !== 'ready') return;
    this.cnx = undefined;
    this.state = 'reconnecting';
    void this.reconnectLoop();
  }

  private reconnectLoop(): Promise<void> {
    return reconnectWithBackoff({
      ctx: this.ctx, handle: this, backoff: this.backoff, topic: this.topic, what: `consumer ${this.subscription}`,
      stillWanted: () => this.state === 'reconnecting',
      connect: () => this.connect(),
    });
  }

  /** Reader support: move the subscription (the broker then closes and we resubscribe). */
  async seekTo(target: { messageId?: MessageId; publishTime?: number }): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') throw new AlreadyClosedError('reader');
    const cnx = this.cnx;
    if (!cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot seek on ${this.topic} while reconnecting`);
    const requestId = this.ctx.nextId('request');
    const seek: CommandSeek = { consumer_id: this.consumerId, request_id: requestId };
    if (target.messageId) seek.message_id = target.messageId.toData(false);
    if (target.publishTime !== undefined) seek.message_publish_time = target.publishTime;
    // After the reset the broker disconnects us; resubscribe from the new position.
    if (target.messageId) {
      this.startId = target.messageId;
      this.startInclusive = true;
    }
    this.lastDequeued = undefined;
    const before = this.connects;
    await cnx.request({ type: CommandType.SEEK, seek }, requestId, `seeking on ${this.topic}`);
    // Queued messages predate the seek, unless we already resubscribed at the new position.
    if (this.connects === before) this.dropQueue();
    this.endOfTopic = false;
  }

  /** Reader support: the last message id on the broker and our cursor's mark-delete position. */
  async lastMessageId(): Promise<{ last: MessageId; markDelete: MessageId | undefined }> {
    const cnx = this.cnx;
    if (!cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot query ${this.topic} while reconnecting`);
    const requestId = this.ctx.nextId('request');
    const res = await cnx.request(
      { type: CommandType.GET_LAST_MESSAGE_ID, getLastMessageId: { consumer_id: this.consumerId, request_id: requestId } },
      requestId,
      `reading the last message id of ${this.topic}`,
    );
    const r = res.getLastMessageIdResponse!;
    const md = r.consumer_mark_delete_position;
    return { last: MessageId.fromData(r.last_message_id, this.partition), markDelete: md ? MessageId.fromData(md, this.partition) : undefined };
  }

  /** Wait until connected (readers call this before asking the broker something). */
  async whenReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.state === 'reconnecting' || this.state === 'connecting') {
      if (Date.now() > deadline) throw new ConnectionClosedError(`not connected to ${this.topic}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get queueEmpty(): boolean {
    return this.queue.length === 0;
  }

  async unsubscribe(): Promise<void> {
    if (this.state === 'closed') throw new AlreadyClosedError('consumer');
    const cnx = this.cnx;
    if (!cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot unsubscribe from ${this.topic} while reconnecting`);
    const requestId = this.ctx.nextId('request');
    await cnx.request(
      { type: CommandType.UNSUBSCRIBE, unsubscribe: { consumer_id: this.consumerId, request_id: requestId } },
      requestId,
      `unsubscribing ${this.subscription} from ${this.topic}`,
    );
    await this.shutdown(false);
  }

  close(): Promise<void> {
    return this.shutdown(true);
  }

  private async shutdown(sendClose: boolean): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'closing') return new Promise<void>((r) => this.closeWaiters.push(r));
    this.state = 'closing';
    this.flushAcksForClose();
    if (this.nackTimer) clearTimeout(this.nackTimer);
    this.nackTimer = undefined;
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.waiters = [];
    const cnx = this.cnx;
    this.cnx = undefined;
    if (cnx && !cnx.isClosed && sendClose) {
      const requestId = this.ctx.nextId('request');
      try {
        await cnx.request(
          { type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: this.consumerId, request_id: requestId } },
          requestId,
          `closing the consumer on ${this.topic}`,
          // Closing must not hang on a dead broker: the broker drops our state with the connection anyway.
          CLOSE_TIMEOUT_MS,
        );
      } catch (err) {
        if (!(err instanceof ConnectionClosedError)) this.ctx.log(`closing consumer on ${this.topic}: ${(err as Error).message}`);
      }
    }
    cnx?.unregisterConsumer(this.consumerId);
    const producers = [...this.dlqProducers.values()];
    this.dlqProducers.clear();
    await Promise.allSettled(producers.map(async (p) => (await p).close()));
    this.queue.clear();
    this.state = 'closed';
    this.ctx.unregister(this);
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
  }

  private flushAcksForClose(): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.pendingAcks.length > 0 && this.cnx && !this.cnx.isClosed) {
      this.cnx.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.consumerId, ack_type: AckType.Individual, message_id: this.pendingAcks } });
    }
    this.pendingAcks = [];
    this.ackGroup?.resolve();
    this.ackGroup = undefined;
  }
}

/** Bit `i` of a java.util.BitSet serialised as longs. */
function bitSet(words: bigint[], i: number): boolean {
  const w = words[i >> 6];
  if (w === undefined) return false;
  return ((BigInt.asUintN(64, w) >> BigInt(i & 63)) & 1n) === 1n;
}
