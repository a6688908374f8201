/**
 * `miso schemas check --against-traffic`: the candidate schemas tried on the messages that
 * are actually stored, not only on the registered schemas. Each stored message is read with
 * its writer schema (the version it is stamped with) and with the candidate as reader
 * schema; it "breaks" when the resolution fails, or when it succeeds but a value comes out
 * different from what was written — an enum symbol the candidate dropped turning into its
 * default is compatible by the Avro rules (so the registry accepts it) and still changes
 * what every consumer reads.
 */
import avsc from 'avsc';
import type { PulsarClient, Message } from '../pulsar/index.js';
import { TopicNotFoundError } from '../pulsar/index.js';
import {
  COMMAND_TOPICS,
  TOPICS,
  envelopeSchema,
  envelopeSchemaText,
  explainIncompatibility,
  loadSchemaSources,
  topicName,
  type AvroSchema,
  type TopicShortName,
} from './catalog/index.js';
import { WriterSchemas } from './read/writer-schemas.js';
import { schemaVersionOf } from './dlq/groups.js';
import { deadLetterTopic, serviceSubscription, topicOwner } from './topics.js';

export interface TrafficFailure {
  /** Where in the envelope: `payload[CreateTrackingEvent].event_type`. */
  field: string;
  reason: string;
  /** Pulsar message id of an example. */
  messageId: string;
}

export interface TrafficVersion {
  /** `topic` or `dead-letter`: which of the two stored it. */
  source: 'topic' | 'dead-letter';
  /** Writer schema version, `none` when written without one. */
  version: string;
  messages: number;
  producers: string[];
  decoded: number;
  failed: number;
  firstFailure?: TrafficFailure;
}

export interface TopicTraffic {
  topic: TopicShortName;
  fullTopic: string;
  deadLetterTopic?: string;
  messages: number;
  failed: number;
  versions: TrafficVersion[];
}

export interface TrafficReport {
  ok: boolean;
  since: number | null;
  messages: number;
  topics: TopicTraffic[];
}

/** Read every stored message of the topics (and their dead-letter topics) with the candidate schemas of `dir`. */
export async function checkAgainstTraffic(
  client: PulsarClient,
  scope: { tenant: string; namespace: string },
  opts: { dir?: string; topics?: readonly TopicShortName[]; since?: number } = {},
): Promise<TrafficReport> {
  const sources = loadSchemaSources(opts.dir);
  const writers = new WriterSchemas(client);
  const topics = await Promise.all(
    (opts.topics ?? TOPICS).map(async (topic): Promise<TopicTraffic> => {
      const candidate = envelopeSchema(topic, sources) as AvroSchema;
      const reader = avsc.Type.forSchema(candidate as avsc.Schema, { wrapUnions: 'auto' });
      const fullTopic = topicName(scope, topic);
      const dlq = (COMMAND_TOPICS as readonly string[]).includes(topic) ? deadLetterTopic(fullTopic, serviceSubscription(topicOwner(topic))) : undefined;
      const versions = new Map<string, TrafficVersion & { how?: Resolution }>();
      const read = async (full: string, source: 'topic' | 'dead-letter'): Promise<void> => {
        let r;
        try {
          r = await client.createReader({ topic: full, start: opts.since ? { publishTime: opts.since } : 'earliest', receiverQueueSize: 2000 });
        } catch (err) {
          if (err instanceof TopicNotFoundError) return;
          throw err;
        }
        try {
          while (await r.hasMessageAvailable()) {
            const m = r.readQueued() ?? (await r.readNext(10_000));
            if (!m) break;
            const version = schemaVersionOf(m.schemaVersion);
            const key = `${source}|${version}`;
            let v = versions.get(key);
            if (!v) {
              v = { source, version, messages: 0, producers: [], decoded: 0, failed: 0 };
              versions.set(key, v);
            }
            v.messages++;
            if (!v.producers.includes(m.producerName)) v.producers.push(m.producerName);
            if (!v.how) v.how = resolution(reader, candidate, await writerText(writers, m, topic));
            const failure = tryMessage(v.how, m);
            if (failure) {
              v.failed++;
              v.firstFailure ??= failure;
            } else v.decoded++;
          }
        } finally {
          await r.close().catch(() => {});
        }
      };
      await read(fullTopic, 'topic');
      if (dlq) await read(dlq, 'dead-letter');
      const list = [...versions.values()]
        .map(({ how: _how, ...v }) => v)
        .sort((a, b) => a.source.localeCompare(b.source) || Number(a.version) - Number(b.version));
      return {
        topic,
        fullTopic,
        ...(dlq ? { deadLetterTopic: dlq } : {}),
        messages: list.reduce((n, v) => n + v.messages, 0),
        failed: list.reduce((n, v) => n + v.failed, 0),
        versions: list,
      };
    }),
  );
  return { ok: topics.every((t) => t.failed === 0), since: opts.since ?? null, messages: topics.reduce((n, t) => n + t.messages, 0), topics };
}

/** How messages of one writer version are read: the writer's own type and the candidate's resolver, or why there is none. */
type Resolution = { writer: avsc.Type; resolver: avsc.Resolver; reader: avsc.Type } | { refused: { field: string; reason: string } };

async function writerText(writers: WriterSchemas, m: Message, topic: TopicShortName): Promise<string | null> {
  try {
    const w = await writers.of(m);
    // No version stamped: written with the catalog's schema of the day, the only guess there is.
    return w === undefined ? envelopeSchemaText(topic) : w;
  } catch {
    return null;
  }
}

function resolution(reader: avsc.Type, candidate: AvroSchema, writerText: string | null): Resolution {
  if (writerText === null) return { refused: { field: '', reason: 'written with a schema version the registry has no Avro schema for' } };
  const writerSchema = JSON.parse(writerText) as AvroSchema;
  const writer = avsc.Type.forSchema(writerSchema as avsc.Schema, { wrapUnions: 'auto' });
  try {
    return { writer, resolver: reader.createResolver(writer), reader };
  } catch (err) {
    const p = explainIncompatibility(candidate, writerSchema)[0];
    return { refused: { field: p?.path ?? '', reason: p?.reason ?? (err as Error).message } };
  }
}

function tryMessage(how: Resolution, m: Message): TrafficFailure | undefined {
  const messageId = m.messageId.toString();
  if ('refused' in how) return { ...how.refused, messageId };
  let written: unknown;
  try {
    written = how.writer.fromBuffer(m.payload);
  } catch (err) {
    return { field: '', reason: `does not decode even with its own writer schema: ${(err as Error).message}`, messageId };
  }
  let read: unknown;
  try {
    read = how.reader.fromBuffer(m.payload, how.resolver);
  } catch (err) {
    return { field: '', reason: `the candidate cannot read it: ${(err as Error).message}`, messageId };
  }
  const change = firstChange(written, read, []);
  return change ? { field: change.path, reason: `${change.was} would be read as ${change.now}`, messageId } : undefined;
}

/** The first value that reads differently from how it was written (fields only one side has are not compared: adding and dropping fields is allowed). */
function firstChange(a: unknown, b: unknown, path: string[]): { path: string; was: string; now: string } | undefined {
  if (a === b) return undefined;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b) ? undefined : { path: fmt(path), was: 'bytes', now: 'other bytes' };
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = firstChange(a[i], b[i], [...path, `[${i}]`]);
      if (c) return c;
    }
    return a.length === b.length ? undefined : { path: fmt(path), was: `${a.length} items`, now: `${b.length} items` };
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao);
    // A union branch wrapped by name on one side only, or another branch: the value changed kind.
    if (ak.length === 1 && ak[0]!.includes('.') && !(ak[0]! in bo) && Object.keys(bo).some((k) => k.includes('.'))) {
      return { path: fmt(path), was: `a ${short(ak[0]!)}`, now: `a ${short(Object.keys(bo)[0]!)}` };
    }
    for (const k of ak) {
      if (!(k in bo)) continue;
      const c = firstChange(ao[k], bo[k], [...path, k.includes('.') ? `[${short(k)}]` : k]);
      if (c) return c;
    }
    return undefined;
  }
  return { path: fmt(path), was: JSON.stringify(a) ?? String(a), now: JSON.stringify(b) ?? String(b) };
}

function short(name: string): string {
  return name.split('.').pop()!;
}

function fmt(path: string[]): string {
  return path.reduce((s, p) => (p.startsWith('[') ? `${s}${p}` : s ? `${s}.${p}` : p), '');
}
