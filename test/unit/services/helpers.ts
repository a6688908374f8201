import { decode } from '../../../src/core/catalog/codec.js';
import { encode } from '../../../src/core/catalog/codec.js';
import { newEnvelope, type AnyEnvelope, type EnvelopeOptions } from '../../../src/core/catalog/envelope.js';
import { topicOf, type MessageType, type TopicShortName } from '../../../src/core/catalog/registry.js';
import { shortTopicName } from '../../../src/core/topics.js';
import { MessageProcessor } from '../../../src/services/host/processor.js';
import type { ServiceDefinition } from '../../../src/services/host/definition.js';
import { SqliteStore } from '../../../src/services/store/sqlite.js';
import { sqliteSql } from '../../../src/services/store/sql.js';

export const SCOPE = { tenant: 'unit', namespace: 'test' };

/** A service over an in-memory SQLite store, processing real Avro bytes through the catalog. */
export function harness<R>(def: ServiceDefinition<R>, opts: { file?: string; clock?: () => number } = {}) {
  const store = new SqliteStore({ file: opts.file ?? ':memory:', migrations: def.migrations, repo: (db) => def.repo(sqliteSql(db)) });
  const processor = new MessageProcessor(def, store, SCOPE, { clock: opts.clock });

  /** Encode a message as a sender would and hand the bytes to the service. */
  async function send(type: MessageType, payload: Record<string, unknown>, o: EnvelopeOptions & { redeliveryCount?: number; topic?: TopicShortName } = {}) {
    const env = newEnvelope(type, payload as never, o);
    const topic = o.topic ?? topicOf(type, def.name);
    const outcome = await processor.processBytes({ topic, bytes: encode(topic, env), redeliveryCount: o.redeliveryCount ?? 0 });
    return { env, outcome };
  }

  /** What is waiting in the outbox, decoded: the messages the relay would publish. */
  async function outbox(): Promise<(AnyEnvelope & { topic: string; key: string | undefined; properties: Record<string, string>; seq: bigint })[]> {
    const rows = await store.pendingOutbox(10_000);
    return rows.map((r) => ({
      ...decode(shortTopicName(r.topic) as TopicShortName, r.payload),
      topic: r.topic,
      key: r.key,
      properties: r.properties,
      seq: r.id,
    }));
  }

  async function clearOutbox(): Promise<void> {
    const rows = await store.pendingOutbox(10_000);
    await store.markPublished(rows.map((r) => r.id));
  }

  return { store, processor, send, outbox, clearOutbox, repo: <T>(fn: (r: R) => Promise<T>) => store.read(fn) };
}
