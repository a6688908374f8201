/**
 * Avro encoding of envelopes, one avsc Type per topic built once. Decoding takes the writer
 * schema when the message was written with another version than ours (an older producer,
 * a newer one): resolvers are built once per writer schema and cached. A message written
 * with a schema our reader cannot resolve (a message type we do not know yet) is decoded
 * with the writer schema alone, so it can still be shown.
 */
import avsc from 'avsc';
import { MisoError } from '../../errors.js';
import type { TopicShortName } from './registry.js';
import { specOf, topicOf, isMessageType, type MessageType, type ServiceName } from './registry.js';
import { envelopeSchema, loadSchemaSources } from './schemas.js';
import type { AnyEnvelope, Envelope } from './envelope.js';
import { validateEnvelope } from './check.js';

/** A message that could not be decoded: wrong bytes, or a type this catalog does not know. */
export class DecodeError extends MisoError {
  readonly topic: string;
  /** What could be decoded, when the bytes were Avro but the content was not understood. */
  readonly partial: Record<string, unknown> | undefined;
  constructor(message: string, opts: { topic: string; partial?: Record<string, unknown>; cause?: unknown }) {
    super(message, { cause: opts.cause, hint: 'The message was written by something that does not follow the catalog; inspect it with `miso tail --json`.' });
    this.topic = opts.topic;
    this.partial = opts.partial;
  }
}

/** A payload or envelope that does not fit its schema. */
export class ValidationError extends MisoError {
  readonly problems: { path: string; expected: string; got: string; message: string }[];
  constructor(message: string, problems: ValidationError['problems'], opts: { hint?: string } = {}) {
    super(message, { hint: opts.hint ?? 'Fix the field and send again; `miso schemas show <type>` lists the fields.', exitCode: 2 });
    this.problems = problems;
  }
}

interface TopicCodec {
  type: avsc.Type;
  /** avsc wraps a union of several records (`{ "miso.x.Y": {...} }`) but not a union of one. */
  wrapped: boolean;
  schemaText: string;
  /** Per writer schema text: how to read it. */
  readers: Map<string, { resolver?: avsc.Resolver; writer?: avsc.Type }>;
}

const codecs = new Map<TopicShortName, TopicCodec>();

function codecOf(topic: TopicShortName): TopicCodec {
  let c = codecs.get(topic);
  if (!c) {
    const schema = envelopeSchema(topic);
    const type = avsc.Type.forSchema(schema as avsc.Schema, { wrapUnions: 'auto' });
    c = { type, wrapped: payloadUnion(type).wrapped, schemaText: JSON.stringify(schema), readers: new Map() };
    codecs.set(topic, c);
  }
  return c;
}

/** The envelope schema of a topic as JSON text: what producers register with the broker. */
export function envelopeSchemaText(topic: TopicShortName): string {
  return codecOf(topic).schemaText;
}

/** Pulsar schema info for a topic's producers and readers (AVRO, the envelope record). */
export function topicSchemaInfo(topic: TopicShortName): { type: 'AVRO'; name: string; schema: string; properties: Record<string, string> } {
  return { type: 'AVRO', name: topic, schema: envelopeSchemaText(topic), properties: {} };
}

/** The avsc Type of a topic's envelope (for tools that need the raw type). */
export function envelopeAvroType(topic: TopicShortName): avsc.Type {
  return codecOf(topic).type;
}

/** The topic an envelope goes to: a command's topic, or the event topic of the publishing service. */
export function topicForEnvelope(env: { type: string }, publisher?: ServiceName): TopicShortName {
  if (!isMessageType(env.type)) throw new ValidationError(`unknown message type "${env.type}"`, []);
  return topicOf(env.type, publisher);
}

/** Avro bytes of an envelope on `topic`. A payload that does not fit is refused, naming the field. */
export function encode(topic: TopicShortName, env: Envelope | AnyEnvelope): Buffer {
  const spec = specOf(env.type);
  if (!spec || !(spec.topics as readonly string[]).includes(topic)) {
    throw new ValidationError(`${env.type} does not travel on ${topic}`, [], {
      hint: spec ? `It goes on ${spec.topics.join(' or ')}.` : 'Run `miso schemas list` for the known types.',
    });
  }
  const c = codecOf(topic);
  try {
    return c.type.toBuffer({ ...env, payload: c.wrapped ? { [spec.record]: env.payload } : env.payload });
  } catch (err) {
    const problems = validateEnvelope(env);
    if (problems.length > 0) throw new ValidationError(`invalid ${env.type}: ${problems[0]!.message}`, problems);
    throw err;
  }
}

/**
 * The envelope in `bytes`. `writerSchema` is the schema the message was written with (the
 * JSON text the broker returns for the message's schema version); omit it when the writer
 * used the local schema.
 */
export function decode(topic: TopicShortName, bytes: Uint8Array, writerSchema?: string): AnyEnvelope {
  const c = codecOf(topic);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let raw: Record<string, unknown>;
  let shape: avsc.Type = c.type;
  try {
    if (writerSchema === undefined || writerSchema === c.schemaText) {
      raw = c.type.fromBuffer(buf) as Record<string, unknown>;
    } else {
      const how = readerFor(c, writerSchema);
      if (how.resolver) raw = c.type.fromBuffer(buf, how.resolver) as Record<string, unknown>;
      else {
        shape = how.writer!;
        raw = shape.fromBuffer(buf) as Record<string, unknown>;
      }
    }
  } catch (err) {
    throw new DecodeError(`cannot decode a message on ${topic}: ${(err as Error).message}`, { topic, cause: err });
  }
  const union = shape === c.type ? { wrapped: c.wrapped, single: payloadUnion(c.type).single } : payloadUnion(shape);
  let branch: string | undefined;
  let payload: unknown;
  if (union.wrapped) {
    const w = raw.payload as Record<string, unknown> | null;
    branch = w && typeof w === 'object' ? Object.keys(w)[0] : undefined;
    payload = branch !== undefined ? w![branch] : undefined;
  } else {
    branch = union.single;
    payload = raw.payload;
  }
  // raw is a fresh object from avsc: put the unwrapped payload in place rather than copy it.
  raw.payload = payload;
  const env = raw;
  const type = String(raw.type);
  const spec = specOf(type);
  if (!spec) throw new DecodeError(`message type "${type}" on ${topic} is not in this catalog (a newer producer?)`, { topic, partial: env });
  if (spec.record !== branch)
    throw new DecodeError(`message on ${topic} says type ${type} but carries a ${branch ?? 'missing'} payload`, { topic, partial: env });
  return env as unknown as AnyEnvelope;
}

/** How avsc represents the payload union of an envelope type. */
function payloadUnion(type: avsc.Type): { wrapped: boolean; single: string | undefined } {
  const field = (type as avsc.types.RecordType).field('payload');
  const union = field?.type as avsc.types.WrappedUnionType | avsc.types.UnwrappedUnionType | undefined;
  const wrapped = union instanceof avsc.types.WrappedUnionType;
  const first = union?.types?.[0];
  return { wrapped, single: !wrapped && union?.types?.length === 1 ? first?.name : undefined };
}

function readerFor(c: TopicCodec, writerSchema: string): { resolver?: avsc.Resolver; writer?: avsc.Type } {
  let how = c.readers.get(writerSchema);
  if (!how) {
    const writer = avsc.Type.forSchema(JSON.parse(writerSchema) as avsc.Schema, { wrapUnions: 'auto' });
    if (writer.equals(c.type)) how = { writer: c.type };
    else {
      try {
        how = { resolver: c.type.createResolver(writer) };
      } catch {
        // The writer knows something we do not (a new message type): read it as written.
        how = { writer };
      }
    }
    c.readers.set(writerSchema, how);
  }
  return how;
}

/** The message types a topic's envelope can carry, as listed in the schema files. */
export function knownTypes(): MessageType[] {
  return [...loadSchemaSources().messages.keys()] as MessageType[];
}
