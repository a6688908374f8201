/**
 * Reader: a non-durable exclusive subscription that starts where asked (earliest, latest,
 * a message id, or a publish time) and never takes a message away from anyone else.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { ConsumerImpl } from './consumer.js';
import type { ClientContext } from './context.js';
import { MessageId } from './message-id.js';
import { MultiTopicConsumer } from './multi-consumer.js';
import { partitionTopicName } from './topic-name.js';
import type { Message, Reader } from './types.js';

export type ReaderStart = 'earliest' | 'latest' | MessageId | { publishTime: number };

export interface ReaderOptions {
  topic: string;
  start: ReaderStart;
  receiverQueueSize?: number;
  /** Include the start message itself (message-id starts). Default false. */
  startInclusive?: boolean;
  /** Name of the non-durable subscription; a random `miso-reader-…` by default. */
  subscriptionName?: string;
}

export class ReaderImpl implements Reader {
  readonly topic: string;
  /** The non-durable subscription underneath (partitioned readers merge these). */
  readonly consumer: ConsumerImpl;
  private readonly startTime: number | undefined;
  private readonly startId: MessageId;
  private readonly inclusive: boolean;
  /** The broker's last message id as of the last time we asked. */
  private knownLast: MessageId | undefined;

  constructor(
    private readonly ctx: ClientContext,
    opts: ReaderOptions,
  ) {
    this.topic = opts.topic;
    const start = opts.start;
    if (start === 'earliest') this.startId = MessageId.earliest;
    else if (start === 'latest') this.startId = MessageId.latest;
    else if (start instanceof MessageId) this.startId = start;
    else if (start && typeof start === 'object' && typeof start.publishTime === 'number' && Number.isFinite(start.publishTime)) {
      this.startId = MessageId.earliest;
      this.startTime = start.publishTime;
    } else {
      throw new UsageError('a reader starts at "earliest", "latest", a message id or { publishTime }');
    }
    this.inclusive = opts.startInclusive ?? false;
    this.consumer = new ConsumerImpl(ctx, {
      topic: opts.topic,
      subscription: opts.subscriptionName ?? `miso-reader-${randomBytes(5).toString('hex')}`,
      type: 'Exclusive',
      durable: false,
      startMessageId: this.startId,
      startInclusive: this.inclusive,
      initialPosition: this.startId === MessageId.latest ? 'latest' : 'earliest',
      holdFirstFlow: this.startTime !== undefined,
      ...(opts.receiverQueueSize !== undefined ? { receiverQueueSize: opts.receiverQueueSize } : {}),
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
    if (this.startTime !== undefined) await this.seek({ publishTime: this.startTime });
  }

  readNext(timeoutMs?: number): Promise<Message | undefined> {
    return this.consumer.receive(timeoutMs);
  }

  readQueued(): Message | undefined {
    return this.consumer.receiveQueued();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      const m = await this.consumer.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  async hasMessageAvailable(): Promise<boolean> {
    if (!this.consumer.queueEmpty) return true;
    // The broker's last message id only grows: while what was read is still before the last
    // one it named, there is more without asking again (a scan drains its queue once per
    // flow of permits; that would be a round trip each time).
    const before = this.consumer.lastDequeued;
    if (before && this.knownLast && this.knownLast.compare(before) > 0) return true;
    await this.consumer.whenReady(30_000);
    if (!this.consumer.queueEmpty) return true;
    const { last, markDelete } = await this.consumer.lastMessageId();
    this.knownLast = last;
    if (!this.consumer.queueEmpty) return true;
    if (last.entryId < 0n) return false;
    const read = this.consumer.lastDequeued;
    if (read) return last.compare(read) > 0;
    if (markDelete) return last.compare(markDelete) > 0;
    if (this.startId === MessageId.latest) return false;
    if (this.startId === MessageId.earliest) return true;
    const c = last.compare(this.startId);
    return this.inclusive ? c >= 0 : c > 0;
  }

  async seek(to: MessageId | { publishTime: number }): Promise<void> {
    this.knownLast = undefined;
    await this.consumer.whenReady(30_000);
    if (to instanceof MessageId) await this.consumer.seekTo({ messageId: to });
    else if (to && typeof to.publishTime === 'number') await this.consumer.seekTo({ publishTime: to.publishTime });
    else throw new UsageError('seek to a message id or { publishTime }');
  }

  close(): Promise<void> {
    this.ctx.unregister(this);
    return this.consumer.close();
  }
}

/**
 * Reader over every partition of a partitioned topic, merged into one stream (order is kept
 * per partition, not across). Starts at earliest, latest or a publish time; a message id
 * names one partition only, so it is refused here, as is seeking to one.
 */
export class PartitionedReader implements Reader {
  private readonly merged: MultiTopicConsumer;

  constructor(
    private readonly ctx: ClientContext,
    readonly topic: string,
    private readonly readers: ReaderImpl[],
  ) {
    this.merged = new MultiTopicConsumer(
      topic,
      'reader',
      readers.map((r) => r.consumer),
    );
  }

  static create(ctx: ClientContext, opts: ReaderOptions & { topic: string }, partitions: number): PartitionedReader {
    if (opts.start instanceof MessageId) {
      throw new UsageError(`${opts.topic} is partitioned: start its reader at earliest, latest or a publish time, or read one partition from a message id`);
    }
    const readers = Array.from({ length: partitions }, (_, i) => new ReaderImpl(ctx, { ...opts, topic: partitionTopicName(opts.topic, i) }));
    return new PartitionedReader(ctx, opts.topic, readers);
  }

  async start(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.start()));
    this.merged.attach();
  }

  readNext(timeoutMs?: number): Promise<Message | undefined> {
    return this.merged.receive(timeoutMs);
  }

  /** Always goes through `readNext`: the merge decides which partition is next. */
  readQueued(): Message | undefined {
    return undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.merged[Symbol.asyncIterator]();
  }

  async hasMessageAvailable(): Promise<boolean> {
    const answers = await Promise.all(this.readers.map((r) => r.hasMessageAvailable()));
    return answers.some(Boolean) || this.merged.hasBuffered;
  }

  async seek(to: MessageId | { publishTime: number }): Promise<void> {
    if (to instanceof MessageId) throw new UsageError(`${this.topic} is partitioned: seek it by publish time`);
    this.merged.dropBuffered();
    await Promise.all(this.readers.map((r) => r.seek(to)));
  }

  async close(): Promise<void> {
    this.ctx.unregister(this);
    await this.merged.close();
  }
}
