import { decode, encode, DecodeError } from '../../core/catalog/codec.js';
import { newEnvelope, messageKey, messageProperties, type AnyEnvelope, type Envelope } from '../../core/catalog/envelope.js';
import { specOf, topicOf, type MessageType, type TopicShortName } from '../../core/catalog/registry.js';
import { topicName, type TopicScope } from '../../core/topics.js';
import type { ServiceStore, StoreTx } from '../store/store.js';
import { UnreachableError } from '../../errors.js';
import { CommandRejected, RetryLater, type Decision, type Handler, type ServiceDefinition } from './definition.js';

/**
 * One message in, one outcome out: the part of the service host that knows nothing of Pulsar.
 * It decodes, recognises redeliveries (processed-message log), runs the handler, and writes the
 * state change, the processed mark and the outgoing messages (outbox) in one transaction.
 * The caller acknowledges, negatively acknowledges or dead-letters according to the outcome.
 */

export type Outcome =
  /** Handled: state changed and `emitted` are in the outbox. Acknowledge. */
  | { kind: 'accepted'; envelope: AnyEnvelope; emitted: Envelope[]; result: unknown }
  /** Refused by a rule: the rejection event is in the outbox. Acknowledge. */
  | { kind: 'rejected'; envelope: AnyEnvelope; rejection: Envelope; reason: CommandRejected }
  /** Seen before (a redelivery): nothing done again. Acknowledge. */
  | { kind: 'duplicate'; envelope: AnyEnvelope }
  /** A followed event this service does not care about. Acknowledge. */
  | { kind: 'ignored'; envelope: AnyEnvelope }
  /** A transient failure: nothing written. Negatively acknowledge so it comes back. */
  | { kind: 'retry'; envelope: AnyEnvelope; error: Error }
  /** Can never be handled (bytes that do not decode, a type not for this topic, out of retries). Dead-letter. */
  | { kind: 'dead-letter'; envelope: AnyEnvelope | undefined; reason: string };

export interface IncomingMessage {
  /** Short name of the topic the message came from. */
  topic: TopicShortName;
  bytes: Buffer;
  /** Writer schema text when the message was written with another schema version than ours. */
  writerSchema?: string;
  redeliveryCount: number;
}

export interface ProcessorOptions {
  /** Redeliveries after which a still-failing message is dead-lettered (the message was tried 1 + this many times). */
  maxRedeliveries?: number;
  clock?: () => number;
}

export class MessageProcessor<R> {
  readonly maxRedeliveries: number;
  private readonly clock: () => number;

  constructor(
    readonly def: ServiceDefinition<R>,
    readonly store: ServiceStore<R>,
    readonly scope: TopicScope,
    opts: ProcessorOptions = {},
  ) {
    this.maxRedeliveries = opts.maxRedeliveries ?? 3;
    this.clock = opts.clock ?? Date.now;
  }

  /** The topics this service consumes: its command topic, then the event topics it follows. */
  get commandTopic(): TopicShortName {
    return `${this.def.name}-commands`;
  }

  /** Handle bytes from a topic. */
  async processBytes(msg: IncomingMessage): Promise<Outcome> {
    let envelope: AnyEnvelope;
    try {
      envelope = decode(msg.topic, msg.bytes, msg.writerSchema);
    } catch (err) {
      const reason = err instanceof DecodeError ? err.message : `cannot decode: ${(err as Error).message}`;
      return { kind: 'dead-letter', envelope: undefined, reason };
    }
    return this.processEnvelope(envelope, { topic: msg.topic, redeliveryCount: msg.redeliveryCount, via: 'event' });
  }

  /** Handle a decoded envelope (from a topic, or built from an HTTP request). */
  async processEnvelope(envelope: AnyEnvelope, src: { topic: TopicShortName; redeliveryCount: number; via: 'event' | 'http' }): Promise<Outcome> {
    const isCommandTopic = src.topic === this.commandTopic;
    const handler: Handler<R> | undefined = isCommandTopic
      ? this.def.commands[envelope.type]
      : this.def.follows?.find((f) => f.topic === src.topic)?.handlers[envelope.type];
    if (!handler) {
      // A followed topic carries types this service does not need (rejections, say): fine.
      // A command topic carrying something this service cannot handle is a sender's mistake.
      if (!isCommandTopic) return this.markIgnored(envelope);
      return { kind: 'dead-letter', envelope, reason: `${envelope.type} is not a command the ${this.def.name} service handles` };
    }

    const now = this.clock();
    try {
      return await this.store.transaction(async (tx) => {
        // Claimed first: on a shared database, an instance handling the same message at the
        // same moment waits here until this transaction ends, then finds it handled. Every
        // path below records the real outcome; a throw rolls the claim back with the rest.
        if (!(await tx.claim({ messageId: envelope.id, type: envelope.type, outcome: 'accepted', processedAt: now })))
          return { kind: 'duplicate', envelope } as Outcome;
        let decision: Decision;
        try {
          decision = await handler(envelope.payload, {
            repo: tx.repo,
            messageId: envelope.id,
            correlationId: envelope.correlation_id,
            now,
            redeliveryCount: src.redeliveryCount,
            via: src.via,
          });
        } catch (err) {
          const rejection = asRejection(err, src);
          if (!rejection) throw err;
          if (!isCommandTopic) {
            // An event is a fact: it cannot be refused. Note it and move on.
            await tx.markProcessed({ messageId: envelope.id, type: envelope.type, outcome: 'ignored', processedAt: now });
            return { kind: 'ignored', envelope } as Outcome;
          }
          const event = this.rejectionEvent(envelope, rejection, now);
          await tx.markProcessed({ messageId: envelope.id, type: envelope.type, outcome: 'rejected', processedAt: now });
          await this.enqueue(tx, event);
          return { kind: 'rejected', envelope, rejection: event, reason: rejection } as Outcome;
        }
        const emitted = this.envelopes(envelope, decision, now);
        for (const e of emitted) await this.enqueue(tx, e);
        return { kind: 'accepted', envelope, emitted, result: decision.result } as Outcome;
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // The database out of reach says nothing about the message: never dead-lettered for it.
      if (src.via === 'event' && src.redeliveryCount >= this.maxRedeliveries && !isUnavailable(error)) {
        return { kind: 'dead-letter', envelope, reason: `failed ${src.redeliveryCount + 1} times; last error: ${error.message}` };
      }
      return { kind: 'retry', envelope, error };
    }
  }

  private async markIgnored(envelope: AnyEnvelope): Promise<Outcome> {
    return { kind: 'ignored', envelope };
  }

  /** Envelopes for a decision: events caused by the command; follow-up commands caused by the first event. */
  private envelopes(cause: AnyEnvelope, decision: Decision, now: number): Envelope[] {
    const out: Envelope[] = [];
    let firstEvent: Envelope | undefined;
    for (const e of decision.emit) {
      const spec = specOf(e.type);
      if (!spec) throw new Error(`handler of ${cause.type} emitted unknown type ${e.type}`);
      const by = spec.kind === 'command' && firstEvent ? firstEvent : cause;
      const env = newEnvelope(e.type as MessageType, e.payload as never, { causedBy: by, timestamp: now });
      if (spec.kind !== 'command') firstEvent ??= env;
      out.push(env);
    }
    return out;
  }

  private rejectionEvent(cmd: AnyEnvelope, r: CommandRejected, now: number): Envelope {
    return newEnvelope(
      'command.rejected.v1',
      {
        command_id: cmd.id,
        command_type: cmd.type,
        aggregate_id: r.aggregateId ?? null,
        reason_code: r.reasonCode,
        message: r.message,
        field_errors: r.fieldErrors.map((f) => ({ path: f.path, message: f.message })),
      },
      { causedBy: cmd, timestamp: now },
    );
  }

  private async enqueue(tx: StoreTx<R>, env: Envelope): Promise<void> {
    const short = topicOf(env.type, this.def.name);
    await tx.enqueue({
      topic: topicName(this.scope, short),
      type: env.type,
      key: messageKey(env),
      properties: messageProperties(env),
      payload: encode(short, env),
      eventTime: env.timestamp,
    });
  }
}

/** A rejection, if `err` means "refuse the command" now. */
function asRejection(err: unknown, src: { redeliveryCount: number; via: 'event' | 'http' }): CommandRejected | undefined {
  if (err instanceof CommandRejected) return err;
  if (err instanceof RetryLater && (src.via === 'http' || src.redeliveryCount >= err.rejectAfter)) return err.rejection;
  return undefined;
}

/** The store could not be reached (PostgreSQL down or restarting): retry the same message later. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof UnreachableError;
}
