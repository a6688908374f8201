/**
 * Reader: a non-durable exclusive subscription that starts where asked (earliest, latest,
 * a message id, or a publish time) and never takes a message away from anyone else.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { ConsumerImpl } from './consumer.js';
import type { ClientContext } from './context.js';
import { MessageId } from './message-id.js';
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
  private readonly consumer: ConsumerImpl;
  private readonly startTime: number | undefined;
  private readonly startId: MessageId;
  private readonly inclusive: boolean;

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

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      const m = await this.consumer.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  async hasMessageAvailable(): Promise<boolean> {
    if (!this.consumer.queueEmpty) return true;
    await this.consumer.whenReady(30_000);
    if (!this.consumer.queueEmpty) return true;
    const { last, markDelete } = await this.consumer.lastMessageId();
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
