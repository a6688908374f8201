/**
 * Consumer of one (non-partitioned or single partition) topic, also the engine under the
 * Reader (a non-durable, exclusive subscription with a start position).
 *
 * This module holds the subscription's life (subscribe, reconnect, seek, close) and wires
 * the parts that do the rest, each in src/pulsar/consumer/: the receive queue and flow
 * permits, splitting entries into messages, ack grouping, negative acks with their
 * redelivery timer, and dead-letter publishing.
 *
 * Over the ~400 lines we aim for: what remains is the one subscription state machine
 * (subscribe, reconnect, seek, close) and the wiring of those parts; split further, the
 * states would live apart from the transitions between them.
 */
import { TimeoutError, UsageError } from '../errors.js';
import { Backoff, waitFor } from '../util/wait.js';
import type { ClientContext } from './context.js';
import type { Connection, ConsumerHandler } from './connection.js';
import { AckGroupingTracker } from './consumer/ack-grouping.js';
import { receiveEntry } from './consumer/batch-receive.js';
import { DeadLetterPublisher, defaultDeadLetterTopic } from './consumer/dead-letter.js';
import { NegativeAcksTracker } from './consumer/negative-acks.js';
import { subscribeCommand, subTypeOf, type ConsumerOptions } from './consumer/options.js';
import { FlowPermits, ReceiveQueue } from './consumer/receive-queue.js';
import { StartPosition } from './consumer/start-position.js';
import { AlreadyClosedError, ConnectionClosedError } from './errors.js';
import { MessageId } from './message-id.js';
import { CommandType } from './protocol/commands.js';
import {
  AckType,
  AckValidationError,
  SubType,
  type CommandActiveConsumerChange,
  type CommandMessage,
  type CommandSeek,
  type MessageIdData,
} from './protocol/definitions.js';
import type { PayloadSection } from './protocol/frame.js';
import { reconnectWithBackoff } from './reconnect.js';
import { partitionIndexOf } from './topic-name.js';
import type { Consumer, Message } from './types.js';

export type { ConsumerOptions, DeadLetterOptions } from './consumer/options.js';

const CLOSE_TIMEOUT_MS = 3_000;

type State = 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

export class ConsumerImpl implements Consumer, ConsumerHandler {
  readonly topic: string;
  readonly subscription: string;
  readonly consumerId: number;
  private state: State = 'connecting';
  private cnx: Connection | undefined;
  private readonly subType: number;
  private readonly durable: boolean;
  private readonly partition: number;
  private readonly queue: ReceiveQueue<Message>;
  private readonly permits: FlowPermits;
  private readonly acks: AckGroupingTracker;
  private readonly nacks: NegativeAcksTracker;
  private readonly dlq: DeadLetterPublisher | undefined;
  /** Where a (re)subscription of a non-durable subscription starts. */
  private readonly start_: StartPosition | undefined;
  private epoch = 0;
  private readonly backoff = new Backoff();
  /** Last message handed to the application (readers restart after it on reconnect). */
  lastDequeued: MessageId | undefined;
  private active = true;
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
    this.subType = subTypeOf(opts);
    this.durable = opts.durable ?? true;
    this.partition = partitionIndexOf(opts.topic);
    this.permits = new FlowPermits(Math.max(1, opts.receiverQueueSize ?? 1000));
    this.queue = new ReceiveQueue<Message>({
      onTake: (m) => {
        this.lastDequeued = m.messageId;
        this.grantPermits(1);
      },
    });
    this.acks = new AckGroupingTracker(
      {
        individual: (ids) => this.sendAck(AckType.Individual, ids),
        cumulative: (id) => this.sendAck(AckType.Cumulative, [id]),
      },
      opts.ackGroupingMs !== undefined ? { maxDelayMs: opts.ackGroupingMs } : {},
    );
    this.nacks = new NegativeAcksTracker((ids) => this.redeliver(ids), { delayMs: Math.max(0, opts.nackRedeliveryDelayMs ?? 60_000) });
    if (opts.deadLetter) {
      const dlqTopic = opts.deadLetter.topic ?? defaultDeadLetterTopic(opts.parentTopic ?? opts.topic, opts.subscription);
      this.dlq = new DeadLetterPublisher(dlqTopic, opts.deadLetter.maxRedeliverCount, async (topic, m) => {
        const schema = m.schemaVersion ? await this.ctx.getSchema(m.topic, m.schemaVersion) : undefined;
        return this.ctx.createProducer({ topic, batching: false, ...(schema ? { schema } : {}) });
      });
    }
    if (!this.durable) this.start_ = new StartPosition(opts.startMessageId, opts.startInclusive ?? false);
  }

  /** Closing or closed (re-read after awaits: the state may change meanwhile). */
  private get stopping(): boolean {
    return this.state === 'closed' || this.state === 'closing';
  }

  /** Messages waiting in the receiver queue. */
  get queued(): number {
    return this.queue.length;
  }

  get queueEmpty(): boolean {
    return this.queue.length === 0;
  }

  get isConnected(): boolean {
    return this.state === 'ready';
  }

  /** The broker (host:port) this consumer's topic is served by now; undefined while disconnected. */
  get connectedTo(): string | undefined {
    return this.isConnected ? this.cnx?.address : undefined;
  }

  /** Failover: whether the broker currently dispatches to this consumer. */
  get isActive(): boolean {
    return this.active;
  }

  get hasReachedEndOfTopic(): boolean {
    return this.endOfTopic;
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
    if (this.stopping) throw new AlreadyClosedError('consumer');
    const requestId = this.ctx.nextId('request');
    const subscribe = subscribeCommand(this.opts, { consumerId: this.consumerId, requestId, epoch: this.epoch });
    // Anything still queued is stale: the broker redelivers what was not acknowledged.
    this.queue.clear();
    if (this.start_) {
      // A reader resumes after the last message the application took, which may have moved
      // on while we were disconnected (it kept reading the queue). Decide it now, not at the loss.
      if (this.lastDequeued) this.start_.moveTo(this.lastDequeued, false);
      const startId = this.start_.subscribeData();
      if (startId) subscribe.start_message_id = startId;
    }
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
    this.permits.reset();
    // Acknowledgements kept while disconnected go first, so the broker does not dispatch those entries again.
    this.acks.flush();
    if (this.opts.holdFirstFlow && this.connects === 1) return;
    cnx.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.consumerId, messagePermits: this.permits.queueSize } });
  }

  onMessage(cmd: CommandMessage, section: PayloadSection): void {
    if (this.state !== 'ready') return;
    if (cmd.consumer_epoch !== undefined && cmd.consumer_epoch < this.epoch) {
      // Sent before a redeliver-all: the broker will send it again.
      this.grantPermits(1);
      return;
    }
    if (this.acks.ackedBefore(cmd.message_id)) {
      // Acknowledged by the application already; the ack was lost when the topic moved. Ack again, deliver nothing.
      this.ctx.log(`${this.topic}: dropping redelivered ${cmd.message_id.ledgerId}:${cmd.message_id.entryId}, acknowledged before`);
      this.acks.ackAgain(cmd.message_id);
      this.grantPermits(section.metadata.num_messages_in_batch ?? 1);
      return;
    }
    const start = this.start_;
    const r = receiveEntry(cmd, section, { topic: this.topic, partition: this.partition, ...(start ? { skip: (id: MessageId) => start.isBefore(id) } : {}) });
    if (!r.ok) {
      this.ctx.log(`dropping ${r.reason} on ${this.topic}`);
      this.discard(cmd.message_id, r.validationError, r.permits);
      return;
    }
    if (r.skipped > 0) this.grantPermits(r.skipped);
    for (const m of r.messages) this.queue.push(m);
  }

  onCorruptMessage(cmd: CommandMessage): void {
    this.discard(cmd.message_id, AckValidationError.ChecksumMismatch, 1);
  }

  /** Acknowledge a message we cannot read so it does not come back, and restore its permits. */
  private discard(id: MessageIdData, validationError: number, permits: number): void {
    this.cnx?.sendCommand({
      type: CommandType.ACK,
      ack: {
        consumer_id: this.consumerId,
        ack_type: AckType.Individual,
        message_id: [{ ledgerId: id.ledgerId, entryId: id.entryId }],
        validation_error: validationError,
      },
    });
    this.grantPermits(permits);
  }

  private grantPermits(n: number): void {
    const due = this.permits.free(n);
    if (due > 0 && this.state === 'ready' && this.cnx) {
      this.cnx.sendCommand({ type: CommandType.FLOW, flow: { consumer_id: this.consumerId, messagePermits: due } });
      this.permits.granted(due);
    }
  }

  /** A queued message, taken without waiting; undefined when the queue is empty. */
  receiveQueued(): Message | undefined {
    return this.queue.take();
  }

  receive(timeoutMs?: number): Promise<Message | undefined> {
    return this.queue.receive(timeoutMs);
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.queue[Symbol.asyncIterator]();
  }

  private sendAck(ackType: number, ids: MessageIdData[]): boolean {
    if (!this.cnx || this.cnx.isClosed || (this.state !== 'ready' && this.state !== 'closing')) return false;
    this.cnx.sendCommand({ type: CommandType.ACK, ack: { consumer_id: this.consumerId, ack_type: ackType, message_id: ids } });
    return true;
  }

  ack(m: Message): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new AlreadyClosedError('consumer'));
    this.nacks.remove(m.messageId);
    const written = this.acks.add(m.messageId);
    // While closing: one attempt now, so the caller is not left waiting on a group that never goes out.
    if (this.state === 'closing') this.acks.close();
    return written;
  }

  async ackCumulative(m: Message): Promise<void> {
    if (this.state === 'closed') throw new AlreadyClosedError('consumer');
    if (this.subType === SubType.Shared || this.subType === SubType.Key_Shared) {
      throw new UsageError('cumulative acknowledgement is not allowed on Shared or Key_Shared subscriptions', {
        hint: 'Acknowledge messages one by one with ack().',
      });
    }
    if (!this.cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot acknowledge on ${this.topic} while reconnecting`);
    this.nacks.removeUpTo(m.messageId);
    await this.acks.addCumulative(m.messageId);
  }

  nack(m: Message): void {
    if (this.stopping) return;
    if (this.dlq?.isDue(m)) {
      void this.deadLetter(this.dlq, m);
      return;
    }
    this.nacks.add(m.messageId);
  }

  /** The nack timer found these due: ask the broker for them again. */
  private redeliver(ids: MessageId[]): boolean {
    // Not connected: the tracker tries again (the resubscribe also redelivers all unacked).
    if (!this.cnx || this.state !== 'ready') return false;
    if (this.subType === SubType.Shared || this.subType === SubType.Key_Shared) {
      this.cnx.sendCommand({
        type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, message_ids: ids.map((id) => ({ ledgerId: id.ledgerId, entryId: id.entryId })) },
      });
      return true;
    }
    // Exclusive/Failover: the broker rewinds to the first unacknowledged message. Drop what
    // we hold (it comes again) and ignore anything still in flight from before (epoch).
    const dropped = this.queue.clear();
    this.epoch++;
    this.cnx.sendCommand({
      type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, consumer_epoch: this.epoch },
    });
    if (dropped > 0) this.grantPermits(dropped);
    return true;
  }

  private async deadLetter(dlq: DeadLetterPublisher, m: Message): Promise<void> {
    try {
      await dlq.publish(m);
      await this.ack(m);
      this.ctx.log(`dead-lettered ${m.messageId.toString()} from ${m.topic} to ${dlq.topic} after ${m.redeliveryCount} redeliveries`);
    } catch (err) {
      this.ctx.log(`could not dead-letter ${m.messageId.toString()} to ${dlq.topic}: ${(err as Error).message}; redelivering instead`);
      if (!this.stopping) this.nacks.add(m.messageId);
    }
  }

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
      ctx: this.ctx,
      handle: this,
      backoff: this.backoff,
      topic: this.topic,
      what: `consumer ${this.subscription}`,
      stillWanted: () => this.state === 'reconnecting',
      connect: () => this.connect(),
    });
  }

  /** Reader support: move the subscription (the broker then closes and we resubscribe). */
  async seekTo(target: { messageId?: MessageId; publishTime?: number }): Promise<void> {
    if (this.stopping) throw new AlreadyClosedError('reader');
    const cnx = this.cnx;
    if (!cnx || this.state !== 'ready') throw new ConnectionClosedError(`cannot seek on ${this.topic} while reconnecting`);
    const requestId = this.ctx.nextId('request');
    const seek: CommandSeek = { consumer_id: this.consumerId, request_id: requestId };
    if (target.messageId) seek.message_id = target.messageId.toData(false);
    if (target.publishTime !== undefined) seek.message_publish_time = target.publishTime;
    // After the reset the broker disconnects us; resubscribe from the new position.
    if (target.messageId) this.start_?.moveTo(target.messageId, true);
    this.lastDequeued = undefined;
    const before = this.connects;
    await cnx.request({ type: CommandType.SEEK, seek }, requestId, `seeking on ${this.topic}`);
    // Queued messages predate the seek, unless we already resubscribed at the new position.
    if (this.connects === before) this.queue.clear();
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
    try {
      await waitFor(() => this.state !== 'reconnecting' && this.state !== 'connecting', { timeoutMs, intervalMs: 50, what: `${this.topic} to reconnect` });
    } catch (err) {
      if (err instanceof TimeoutError) throw new ConnectionClosedError(`not connected to ${this.topic}`);
      throw err;
    }
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
    this.acks.close();
    this.nacks.close();
    this.queue.close();
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
    await this.dlq?.close();
    this.state = 'closed';
    this.ctx.unregister(this);
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
  }
}
