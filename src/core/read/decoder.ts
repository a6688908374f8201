/**
 * Decoding what the readers read: each message with the schema version it was written with
 * (from the shared writer-schema cache), a dead letter as the topic it came from, and a
 * message that cannot be decoded reported as such instead of stopping the scan.
 */
import type { Message } from '../../pulsar/index.js';
import { decode, DecodeError, type AnyEnvelope } from '../catalog/index.js';
import type { TopicShortName } from '../topics.js';
import { deadLetterOrigin } from './dead-letter.js';
import { WriterSchemas, type SchemaRegistry } from './writer-schemas.js';

/** A message as scanned: decoded, or with the reason it could not be. */
export interface TailedMessage {
  /** Full topic name it was read from. */
  topic: string;
  publishTime: number;
  messageId: string;
  key?: string;
  properties: Record<string, string>;
  deadLetter?: boolean;
  envelope?: AnyEnvelope;
  /** Why the message could not be decoded (then `envelope` is absent or partial). */
  error?: string;
}

export interface TailSource {
  /** Full topic name. */
  topic: string;
  /** The catalog topic whose envelope decodes it (the origin topic for a dead-letter topic). */
  decodeAs: TopicShortName | undefined;
  deadLetter: boolean;
  /** Part of a default set: skipped quietly when it does not exist (e.g. no DLQ yet). */
  optional: boolean;
}

/** A TailedMessage whose properties come from the raw message when first read. */
class ScannedMessage implements TailedMessage {
  declare key?: string;
  declare deadLetter?: boolean;
  declare envelope?: AnyEnvelope;
  declare error?: string;
  readonly publishTime: number;
  readonly messageId: string;
  readonly #raw: Message;

  constructor(
    readonly topic: string,
    raw: Message,
  ) {
    this.publishTime = raw.publishTime;
    this.messageId = raw.messageId.toString();
    this.#raw = raw;
  }

  get properties(): Record<string, string> {
    return this.#raw.properties;
  }

  /** The same JSON as a plain TailedMessage (the getter is not an own property). */
  toJSON(): Omit<TailedMessage, never> {
    const { topic, publishTime, messageId, properties, key, deadLetter, envelope, error } = this;
    return {
      topic,
      publishTime,
      messageId,
      properties,
      ...(key !== undefined ? { key } : {}),
      ...(deadLetter ? { deadLetter } : {}),
      ...(envelope ? { envelope } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  }
}

/** Decodes messages with the schema version each was written with. */
export class MessageDecoder {
  private readonly schemas: WriterSchemas;

  constructor(registry: SchemaRegistry | WriterSchemas) {
    this.schemas = registry instanceof WriterSchemas ? registry : new WriterSchemas(registry);
  }

  /**
   * The message decoded; synchronous when its writer schema is already known (almost
   * always), so a scan pays no promise per message. Never throws or rejects.
   */
  decode(m: Message, source: TailSource): TailedMessage | Promise<TailedMessage> {
    const writer = this.schemas.lookup(m);
    if (writer instanceof Promise) {
      // A registry that cannot be asked right now: show the message decoded with our schema.
      return writer.then(
        (w) => this.decodeWith(m, source, w),
        () => this.decodeWith(m, source, undefined),
      );
    }
    return this.decodeWith(m, source, writer);
  }

  private decodeWith(m: Message, source: TailSource, writer: string | null | undefined): TailedMessage {
    // One object per message, built in place; the properties are decoded only if someone
    // reads them (the JSON and table output do not).
    const t = new ScannedMessage(source.topic, m);
    if (m.key !== undefined) t.key = m.key;
    if (source.deadLetter) t.deadLetter = true;
    // A dead letter decodes as the topic it came from; a topic outside the catalog may still carry dead letters.
    const as = source.deadLetter ? (deadLetterOrigin(m.properties, source.topic) ?? source.decodeAs) : (source.decodeAs ?? deadLetterOrigin(m.properties));
    if (!as) {
      t.error = 'not a catalog topic: no schema to decode it with';
      return t;
    }
    try {
      // A version the registry has no Avro schema for is still shown, decoded with ours: this is a viewer.
      t.envelope = decode(as, m.payload, writer ?? undefined);
    } catch (err) {
      const partial = err instanceof DecodeError ? err.partial : undefined;
      t.error = (err as Error).message;
      if (partial) t.envelope = partial as unknown as AnyEnvelope;
    }
    return t;
  }
}
