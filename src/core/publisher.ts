/**
 * Publishing catalog messages: one producer per topic, created on first use with the
 * topic's envelope as its AVRO schema (so the broker registers and enforces it), message key
 * = aggregate id, properties = type/id/correlation/causation, event time = envelope time.
 * `miso send` and the services' outbox relays use this same path; a relay passes a stable
 * producer name and explicit sequence ids so broker deduplication drops resends.
 *
 *   const pub = new Publisher(client, cfg, { producerName: (topic) => `tracking-outbox` });
 *   const { correlationId, messageId } = await pub.sendCommand('campaign.create', { user_id, name });
 *   await pub.publish(newEnvelope('campaign.created.v1', payload, { causedBy: cmd }), { sequenceId: 42n });
 *   await pub.close();
 */
import { TopicNotFoundError } from '../pulsar/index.js';
import type { PulsarClient, Producer, BatchingOptions } from '../pulsar/index.js';
import type { MessageId } from '../pulsar/index.js';
import {
  encode,
  findSpec,
  messageKey,
  messageProperties,
  newEnvelope,
  resolveMessageType,
  topicForEnvelope,
  topicName,
  topicSchemaInfo,
  validate,
  ValidationError,
  isTopicShortName,
  shortTopicName,
  withGeneratedIds,
  type AnyEnvelope,
  type Envelope,
  type EnvelopeOptions,
  type MessageType,
  type PayloadInput,
  type ServiceName,
  type TopicShortName,
} from './catalog/index.js';
import { MisoError } from '../errors.js';
import { openClient } from './connect.js';
export { WorkflowWatch, type WaitResult } from './read/workflow.js';

export interface PublisherOptions {
  /** Producer name per topic; stable names plus sequence ids let the broker drop resends. */
  producerName?: string | ((topic: TopicShortName) => string | undefined);
  /** Batch messages (good for load, adds up to maxDelayMs of latency). Default off. */
  batching?: boolean | BatchingOptions;
  maxPendingMessages?: number;
  sendTimeoutMs?: number;
}

export interface PublishOptions {
  /** Explicit sequence id (outbox row id) for broker-side deduplication. */
  sequenceId?: bigint;
  /** The service that publishes an event on several possible topics (the rejection event). */
  publisher?: ServiceName;
  /** The topic, when the type alone does not say (a rejection replayed from a tail). */
  topic?: TopicShortName;
}

export interface Published {
  id: string;
  correlationId: string;
  type: string;
  topic: string;
  /** "ledger:entry:partition:batch"; ledger and entry -1 when the broker dropped it as a duplicate. */
  messageId: string;
  /** The broker recognised a resend (same producer name and sequence id) and stored nothing. */
  duplicate: boolean;
  envelope: AnyEnvelope;
}

export class Publisher {
  private readonly producers = new Map<TopicShortName, Promise<Producer>>();
  private closed = false;

  constructor(
    private readonly client: PulsarClient,
    private readonly scope: { tenant: string; namespace: string },
    private readonly opts: PublisherOptions = {},
  ) {}

  /**
   * Validate and send one command (or event): `shortOrType` is `campaign.create` or the full
   * type; ids the sender may leave out are generated, schema defaults filled in. A payload
   * that does not fit is refused before anything is sent.
   */
  async sendCommand<T extends MessageType>(
    shortOrType: T | string,
    payload: PayloadInput<T> | Record<string, unknown>,
    opts: EnvelopeOptions & PublishOptions = {},
  ): Promise<Published> {
    const spec = resolveMessageType(shortOrType);
    const complete = withGeneratedIds(spec.type, payload as Record<string, unknown>);
    const problems = validate(spec.type, complete);
    if (problems.length > 0) throw new ValidationError(`invalid ${spec.short}: ${problems[0]!.message}`, problems);
    const env = newEnvelope(spec.type as MessageType, complete as never, opts) as AnyEnvelope;
    return this.publish(env, opts);
  }

  /** Send a complete envelope to its topic. */
  async publish(env: AnyEnvelope | Envelope, opts: PublishOptions = {}): Promise<Published> {
    const topic = opts.topic ?? topicForEnvelope(env, opts.publisher);
    const payload = encode(topic, env);
    const producer = await this.producer(topic);
    const key = messageKey(env);
    const messageId: MessageId = await producer.send({
      payload,
      properties: messageProperties(env),
      eventTime: env.timestamp,
      ...(key !== undefined ? { key } : {}),
      ...(opts.sequenceId !== undefined ? { sequenceId: opts.sequenceId } : {}),
    });
    return {
      id: env.id,
      correlationId: env.correlation_id,
      type: env.type,
      topic: producer.topic,
      messageId: messageId.toString(),
      duplicate: messageId.ledgerId < 0n && messageId.entryId < 0n,
      envelope: env as AnyEnvelope,
    };
  }

  /** The producer of a topic (created once, with the topic's envelope schema). */
  producer(topic: TopicShortName): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    let p = this.producers.get(topic);
    if (!p) {
      const name = typeof this.opts.producerName === 'function' ? this.opts.producerName(topic) : this.opts.producerName;
      p = this.client.createProducer({
        topic: topicName(this.scope, topic),
        schema: topicSchemaInfo(topic),
        ...(name ? { producerName: name } : {}),
        ...(this.opts.batching !== undefined ? { batching: this.opts.batching } : { batching: false }),
        ...(this.opts.maxPendingMessages !== undefined ? { maxPendingMessages: this.opts.maxPendingMessages } : {}),
        ...(this.opts.sendTimeoutMs !== undefined ? { sendTimeoutMs: this.opts.sendTimeoutMs } : {}),
      });
      p = p.catch((err: unknown) => {
        if (err instanceof TopicNotFoundError) {
          throw new MisoError(`topic ${topicName(this.scope, topic)} does not exist`, {
            hint: 'Run `miso init` (with the same --tenant/--namespace) to create the topics.',
            cause: err,
          });
        }
        throw err;
      });
      this.producers.set(topic, p);
      // A failed creation is not cached: the next send tries again.
      p.catch(() => {
        if (this.producers.get(topic) === p) this.producers.delete(topic);
      });
    }
    return p;
  }

  /** Create the producers of these topics now (so the first send is not slower than the rest). */
  async warm(topics: readonly TopicShortName[]): Promise<void> {
    await Promise.all(topics.map((t) => this.producer(t)));
  }

  /** The highest sequence id the broker has for a topic's producer (a relay resumes after it). */
  async lastSequenceId(topic: TopicShortName): Promise<bigint> {
    return (await this.producer(topic)).lastSequenceId;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.producers.values()].map(async (p) => (await p).flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          await (await p).close();
        } catch {
          /* creation failed earlier; nothing to close */
        }
      }),
    );
  }
}

/** The short topic of a full topic name that belongs to the catalog, else undefined. */
export function catalogTopicOf(fullOrShort: string): TopicShortName | undefined {
  const short = shortTopicName(fullOrShort);
  return isTopicShortName(short) ? short : undefined;
}

/** The topic a message type is sent to, by what a person typed. */
export function topicOfTyped(typed: string, publisher?: ServiceName): TopicShortName | undefined {
  const spec = findSpec(typed);
  if (!spec) return undefined;
  return spec.topics.length === 1 ? spec.topics[0] : publisher ? `${publisher}-events` : undefined;
}

/** Kept for scripts written against it (the benchmarks): the client comes from ./connect.ts like every other. */
export function pulsarClientFor(cfg: Parameters<typeof openClient>[0], log?: (line: string) => void): PulsarClient {
  return openClient(cfg, log ? { log } : {});
}

// ── sending many, waiting for effects ──────────────────────────────────

export interface SendProgress {
  sent: number;
  total: number;
  elapsedMs: number;
}

/**
 * Send prepared messages in order, pipelined, at most `rate` per second. The producers of
 * every topic involved are created first, so a topic-level refusal (missing topic,
 * incompatible schema, unreachable broker) stops the run before the first message.
 */
export async function sendAll(
  pub: Publisher,
  messages: readonly { envelope: AnyEnvelope; topic?: string }[],
  opts: { rate?: number; onProgress?: (p: SendProgress) => void; signal?: AbortSignal; maxInFlight?: number } = {},
): Promise<Published[]> {
  const topicOf = (m: { envelope: AnyEnvelope; topic?: string }): TopicShortName =>
    (m.topic ? catalogTopicOf(m.topic) : undefined) ?? topicForEnvelope(m.envelope);
  await pub.warm([...new Set(messages.map(topicOf))]);
  const started = Date.now();
  const results: Published[] = new Array(messages.length);
  const inflight = new Set<Promise<void>>();
  const max = opts.maxInFlight ?? 1000;
  let sent = 0;
  let failure: unknown;
  const interval = opts.rate ? 1000 / opts.rate : 0;
  let lastReport = 0;
  for (let i = 0; i < messages.length; i++) {
    if (opts.signal?.aborted || failure) break;
    if (interval) {
      const due = started + i * interval;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    const m = messages[i]!;
    const p: Promise<void> = pub
      .publish(m.envelope, { topic: topicOf(m) })
      .then(
        (r) => {
          results[i] = r;
          sent++;
          const now = Date.now();
          if (opts.onProgress && (now - lastReport > 100 || sent === messages.length)) {
            lastReport = now;
            opts.onProgress({ sent, total: messages.length, elapsedMs: now - started });
          }
        },
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= max) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure) {
    const done = results.filter(Boolean).length;
    if (done === 0) throw failure;
    throw new SendInterruptedError(failure, done, messages.length, results.filter(Boolean));
  }
  return results.filter(Boolean);
}

/** The broker failed part-way through a batch: some messages were sent. */
export class SendInterruptedError extends MisoError {
  constructor(
    cause: unknown,
    readonly sentCount: number,
    readonly total: number,
    readonly sent: Published[],
  ) {
    super(`sending stopped after ${sentCount} of ${total} messages: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      hint: 'The messages sent so far are on the broker (ids with --json); fix the cause and send the rest.',
      retriable: cause instanceof MisoError ? cause.retriable : false,
    });
  }
}
