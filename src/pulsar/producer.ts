/**
 * Producer for one (non-partitioned or single partition) topic.
 *
 * Every message gets a sequence id (continuing from the broker's last one for this producer
 * name) so broker-side deduplication can drop resends. Messages wait in `pending` until the
 * broker's receipt; after a reconnect the same frames are sent again, in order. Batching
 * groups consecutive messages with the same key into one entry (one schema version per
 * batch: a producer has exactly one schema).
 *
 * Slightly over the ~400 lines we aim for: batching and frames are already in ./producer/;
 * what is left is one state machine (connect, send, receipt, reconnect, close) that reads
 * best in one place.
 */
import { UsageError } from '../errors.js';
import { Backoff } from '../util/wait.js';
import type { ClientContext } from './context.js';
import type { Connection, ProducerHandler } from './connection.js';
import { AlreadyClosedError, brokerError, ConnectionClosedError, MessageTooLargeError, SendTimeoutError, serverErrorName } from './errors.js';
import { MessageId } from './message-id.js';
import { CommandType } from './protocol/commands.js';
import type { CommandProducer, CommandSendError, CommandSendReceipt } from './protocol/definitions.js';
import { Batcher } from './producer/batcher.js';
import { batchEntry, singleEntry, type OpSend, type PendingMessage, type Sender } from './producer/entry.js';
import { announcesSchema, toProtoSchema } from './schema.js';
import { reconnectWithBackoff } from './reconnect.js';
import { localTopicName, partitionIndexOf } from './topic-name.js';
import type { OutgoingMessage, Producer, SchemaInfo } from './types.js';

export interface BatchingOptions {
  maxMessages?: number;
  maxBytes?: number;
  maxDelayMs?: number;
}

export interface ProducerOptions {
  topic: string;
  producerName?: string;
  schema?: SchemaInfo;
  batching?: boolean | BatchingOptions;
  maxPendingMessages?: number;
  sendTimeoutMs?: number;
}

type State = 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

const CLOSE_TIMEOUT_MS = 3_000;
const DEFAULT_BATCH = { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 };
/**
 * Entries awaiting receipts from which the pipe counts as busy (producer/batcher.ts). Two, not
 * one: at a steady rate the previous batch is usually still in flight when the next is ready,
 * and holding on that alone would add a timer's delay to a good part of the batches.
 */
const BUSY_ENTRIES = 2;

function hasOwnProps(props: Record<string, string> | undefined): boolean {
  if (!props) return false;
  for (const _ in props) return true;
  return false;
}

export class ProducerImpl implements Producer, ProducerHandler {
  readonly topic: string;
  private state: State = 'connecting';
  private readonly producerId: number;
  private cnx: Connection | undefined;
  private name: string | undefined;
  private userProvidedName: boolean;
  private version: Buffer | undefined;
  // Sequence ids are numbers internally (exact below 2^53; larger explicit ids are refused).
  private lastSeq = -1;
  private nextSeq = 0;
  private epoch = 0;
  private readonly partition: number;

  private pending: OpSend[] = [];
  private inFlight = 0;
  private spaceWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushWaiters: { until: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  private readonly batcher: Batcher | undefined;

  private readonly maxPending: number;
  private readonly sendTimeoutMs: number;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff();

  constructor(
    private readonly ctx: ClientContext,
    private readonly opts: ProducerOptions & { topic: string },
  ) {
    this.topic = opts.topic;
    this.producerId = ctx.nextId('producer');
    this.name = opts.producerName;
    this.userProvidedName = opts.producerName !== undefined;
    this.partition = partitionIndexOf(opts.topic);
    this.maxPending = Math.max(1, opts.maxPendingMessages ?? 1000);
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 30_000;
    if (opts.batching !== false) {
      this.batcher = new Batcher(
        { ...DEFAULT_BATCH, ...(typeof opts.batching === 'object' ? opts.batching : {}) },
        {
          emit: (items, key) => this.dispatch(batchEntry(this.sender, items, key)),
          behind: () => this.pending.length >= BUSY_ENTRIES || (this.cnx !== undefined && this.cnx.backlog > 0),
        },
      );
    }
    if (opts.schema !== undefined && announcesSchema(opts.schema)) {
      // Validate now so a bad schema type is a usage error, not a protocol failure.
      try {
        toProtoSchema(opts.schema, 'x');
      } catch {
        throw new UsageError(`unknown schema type "${opts.schema.type}"`, { hint: 'Use AVRO, JSON, STRING or BYTES.' });
      }
    }
  }

  get producerName(): string {
    return this.name ?? '';
  }

  get schemaVersion(): Buffer | undefined {
    return this.version;
  }

  get lastSequenceId(): bigint {
    return BigInt(this.lastSeq);
  }

  /** Messages waiting for their receipt (batched ones included). */
  get pendingCount(): number {
    return this.inFlight;
  }

  get isConnected(): boolean {
    return this.state === 'ready';
  }

  get connectedTo(): string | undefined {
    return this.state === 'ready' ? this.cnx?.address : undefined;
  }

  /** Create the producer on the broker (first time). */
  async start(): Promise<void> {
    await this.ctx.retryStartup(() => this.connect(), `creating a producer on ${this.topic}`);
    if (this.sendTimeoutMs > 0) {
      const every = Math.max(50, Math.min(1000, Math.floor(this.sendTimeoutMs / 4)));
      this.timeoutTimer = setInterval(() => this.checkSendTimeouts(), every);
      this.timeoutTimer.unref();
    }
  }

  private async connect(): Promise<void> {
    const cnx = await this.ctx.connectionFor(this.topic);
    if (this.state === 'closed' || this.state === 'closing') throw new AlreadyClosedError('producer');
    const requestId = this.ctx.nextId('request');
    cnx.registerProducer(this.producerId, this);
    let res;
    try {
      const producer: CommandProducer = {
        topic: this.topic,
        producer_id: this.producerId,
        request_id: requestId,
        epoch: this.epoch,
        user_provided_producer_name: this.userProvidedName,
      };
      if (this.name !== undefined) producer.producer_name = this.name;
      if (announcesSchema(this.opts.schema)) producer.schema = toProtoSchema(this.opts.schema, localTopicName(this.topic));
      res = await cnx.request({ type: CommandType.PRODUCER, producer }, requestId, `creating a producer on ${this.topic}`);
    } catch (err) {
      cnx.unregisterProducer(this.producerId);
      throw err;
    }
    const ok = res.producer_success!;
    this.name = ok.producer_name;
    if (ok.schema_version && ok.schema_version.length > 0) this.version = ok.schema_version;
    const brokerLast = ok.last_sequence_id ?? -1;
    if (brokerLast > this.lastSeq) this.lastSeq = brokerLast;
    if (brokerLast + 1 > this.nextSeq && this.pending.length === 0 && (this.batcher?.length ?? 0) === 0) this.nextSeq = brokerLast + 1;
    if ((this.state as State) === 'closed') {
      cnx.unregisterProducer(this.producerId);
      return;
    }
    this.cnx = cnx;
    this.epoch++;
    this.state = 'ready';
    this.backoff.reset();
    // Resend what the broker has not confirmed, in order; deduplication drops what it already has.
    if (this.pending.length > 0) {
      this.ctx.log(`producer ${this.name} on ${this.topic}: resending ${this.pending.length} pending entr${this.pending.length === 1 ? 'y' : 'ies'}`);
      // Written in one tick, so they leave in one socket write.
      for (const op of this.pending) cnx.write(op.frame);
    }
  }

  // -------------------------------------------------------------------------------------
  // Sending

  send(msg: OutgoingMessage): Promise<MessageId> {
    if (this.state === 'closed' || this.state === 'closing') return Promise.reject(new AlreadyClosedError('producer'));
    if (!msg || !(msg.payload instanceof Uint8Array)) return Promise.reject(new UsageError('a message needs a Buffer payload'));
    const max = this.cnx?.maxMessageSize ?? 5 * 1024 * 1024;
    if (msg.payload.length > max) return Promise.reject(new MessageTooLargeError(msg.payload.length, max));
    if (this.inFlight < this.maxPending && this.spaceWaiters.length === 0) {
      this.inFlight++;
      return this.enqueue(msg);
    }
    return new Promise<void>((resolve, reject) => this.spaceWaiters.push({ resolve, reject })).then(() => this.enqueue(msg));
  }

  private enqueue(msg: OutgoingMessage): Promise<MessageId> {
    if (this.state === 'closed') {
      this.releaseSlots(1);
      return Promise.reject(new AlreadyClosedError('producer'));
    }
    let seq: number;
    if (msg.sequenceId !== undefined) {
      if (msg.sequenceId < 0n || msg.sequenceId > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.releaseSlots(1);
        return Promise.reject(new UsageError(`sequence id ${msg.sequenceId} is out of range`, { hint: 'Use sequence ids from 0 to 2^53-1.' }));
      }
      seq = Number(msg.sequenceId);
      if (seq + 1 > this.nextSeq) this.nextSeq = seq + 1;
    } else {
      seq = this.nextSeq++;
    }
    return new Promise<MessageId>((resolve, reject) => {
      const m: PendingMessage = { payload: msg.payload, sequenceId: seq, resolve, reject };
      if (msg.key !== undefined) m.key = msg.key;
      if (hasOwnProps(msg.properties)) m.properties = msg.properties!;
      if (msg.eventTime !== undefined && msg.eventTime > 0) m.eventTime = msg.eventTime;
      if (this.batcher) this.batcher.add(m);
      else this.dispatch(singleEntry(this.sender, m));
    });
  }

  private get sender(): Sender {
    return { producerId: this.producerId, producerName: this.name ?? '', schemaVersion: this.version };
  }

  private dispatch(op: OpSend): void {
    this.pending.push(op);
    if (this.cnx && (this.state === 'ready' || this.state === 'closing')) this.cnx.write(op.frame);
    // Otherwise it goes out with the resend after the (re)connect.
  }

  flush(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.batcher?.flush();
    const last = this.pending[this.pending.length - 1];
    if (!last) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.flushWaiters.push({ until: last.highestSequenceId, resolve, reject }));
  }

  // -------------------------------------------------------------------------------------
  // Receipts

  onSendReceipt(r: CommandSendReceipt): void {
    const op = this.pending[0];
    if (!op) return;
    if (r.sequence_id < op.sequenceId) return; // receipt for something already settled
    if (r.sequence_id > op.sequenceId) {
      // The broker confirmed something we have not reached: our view is out of step.
      this.ctx.log(`producer ${this.name}: receipt for ${r.sequence_id} while expecting ${op.sequenceId}; reconnecting`);
      this.cnx?.destroy();
      return;
    }
    this.pending.shift();
    const mid = r.message_id;
    const ledger = mid?.ledgerId ?? -1n;
    const entry = mid?.entryId ?? -1n;
    const msgs = op.messages;
    const n = msgs.length;
    if (op.batch) for (let i = 0; i < n; i++) msgs[i]!.resolve(new MessageId(ledger, entry, this.partition, i, n));
    else msgs[0]!.resolve(new MessageId(ledger, entry, this.partition, -1, 0));
    if (op.highestSequenceId > this.lastSeq) this.lastSeq = op.highestSequenceId;
    this.releaseSlots(n);
    this.settleFlushWaiters();
    if (this.pending.length === 0) this.batcher?.pipeEmpty();
  }

  onSendError(e: CommandSendError): void {
    const name = serverErrorName(e.error);
    this.ctx.log(`producer ${this.name} on ${this.topic}: send error ${name}: ${e.message}`);
    const err = brokerError(e.error, e.message, `publishing to ${this.topic}`);
    if (err.retriable || name === 'ChecksumError') {
      // Reconnect and resend everything pending.
      this.cnx?.destroy();
      return;
    }
    this.failPending(err);
  }

  private settleFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    const head = this.pending[0];
    this.flushWaiters = this.flushWaiters.filter((w) => {
      if (head === undefined || head.sequenceId > w.until) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  private releaseSlots(n: number): void {
    this.inFlight -= n;
    while (this.inFlight < this.maxPending && this.spaceWaiters.length > 0) {
      this.inFlight++;
      this.spaceWaiters.shift()!.resolve();
    }
  }

  private failPending(err: Error): void {
    const ops = this.pending;
    this.pending = [];
    let n = 0;
    for (const op of ops) {
      n += op.messages.length;
      for (const m of op.messages) m.reject(err);
    }
    const batched = this.batcher?.drain() ?? [];
    n += batched.length;
    for (const m of batched) m.reject(err);
    for (const w of this.flushWaiters) w.reject(err);
    this.flushWaiters = [];
    this.releaseSlots(n);
  }

  private checkSendTimeouts(): void {
    const head = this.pending[0];
    if (!head) return;
    if (Date.now() - head.createdAt > this.sendTimeoutMs) {
      const count = this.pending.reduce((a, op) => a + op.messages.length, 0) + (this.batcher?.length ?? 0);
      this.failPending(
        new SendTimeoutError(`${count} message(s) to ${this.topic} were not confirmed by the broker within ${this.sendTimeoutMs} ms`, {
          hint: this.state === 'ready' ? 'The broker is slow or overloaded; retry.' : 'The broker is unreachable; check it with `miso doctor`.',
        }),
      );
    }
  }

  // -------------------------------------------------------------------------------------
  // Connection life cycle

  onConnectionClosed(): void {
    this.lostConnection();
  }

  onClosedByBroker(): void {
    this.cnx?.unregisterProducer(this.producerId);
    this.lostConnection();
  }

  private lostConnection(): void {
    if (this.state === 'closing') {
      this.failPending(new ConnectionClosedError(`the connection closed while the producer on ${this.topic} was closing`));
      return;
    }
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
      what: `producer ${this.name}`,
      stillWanted: () => this.state === 'reconnecting',
      connect: () => this.connect(),
      // A permanent refusal (topic deleted, not authorized) fails what waits instead of hiding it.
      onFailure: (err) => {
        if ((err as { retriable?: boolean }).retriable === false) this.failPending(err);
      },
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'closing') {
      const wasReady = this.state === 'ready';
      this.state = 'closing';
      // Flush: wait for what was sent (or is batched) to be confirmed, while we still can.
      this.batcher?.flush();
      if (wasReady && this.pending.length > 0) {
        const last = this.pending[this.pending.length - 1]!;
        await new Promise<void>((resolve) => {
          this.flushWaiters.push({ until: last.highestSequenceId, resolve, reject: () => resolve() });
          // Keep ready-state semantics for receipts during close.
        });
      }
    }
    this.state = 'closed';
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.failPending(new AlreadyClosedError('producer'));
    for (const w of this.spaceWaiters) w.reject(new AlreadyClosedError('producer'));
    this.spaceWaiters = [];
    const cnx = this.cnx;
    this.cnx = undefined;
    this.ctx.unregister(this);
    if (cnx && !cnx.isClosed) {
      const requestId = this.ctx.nextId('request');
      try {
        await cnx.request(
          { type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: this.producerId, request_id: requestId } },
          requestId,
          `closing the producer on ${this.topic}`,
          // Closing must not hang on a dead broker: the broker drops our state with the connection anyway.
          CLOSE_TIMEOUT_MS,
        );
      } catch (err) {
        if (!(err instanceof ConnectionClosedError)) this.ctx.log(`closing producer on ${this.topic}: ${(err as Error).message}`);
      } finally {
        cnx.unregisterProducer(this.producerId);
      }
    }
  }
}
