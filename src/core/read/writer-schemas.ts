/**
 * The schema each message was written with, fetched once per (topic, version): the one
 * writer-schema cache of the read path (tail, trace, `dlq`, the dashboard and the service
 * host). Consecutive messages of a topic almost always share a version, and the messages of
 * one batch share the very same buffer, so the common case is answered without a map lookup
 * or a promise.
 */

/** Where writer schemas come from (the client's `getSchema` fits). */
export interface SchemaRegistry {
  getSchema(topic: string, version?: Buffer): Promise<{ type?: string; schema: string } | undefined>;
}

/** What of a message the cache needs (the client's `Message` fits). */
export interface Versioned {
  topic: string;
  schemaVersion?: Buffer | undefined;
}

/**
 * The writer schema of a message:
 * - a string: the Avro schema text it was written with;
 * - `null`: it is stamped with a version the registry has no Avro schema for (never issued,
 *   or another schema type): decoding it with our own schema would be a guess;
 * - `undefined`: it carries no version (written without a schema): our own schema applies.
 */
export type WriterSchema = string | null | undefined;

interface Last {
  version: Buffer;
  schema: string | null;
  seen: Buffer;
}

export class WriterSchemas {
  private readonly known = new Map<string, string | null>();
  private readonly pending = new Map<string, Promise<string | null>>();
  /** The last version seen per topic, compared by identity first. */
  private readonly last = new Map<string, Last>();

  constructor(private readonly registry: SchemaRegistry) {}

  /**
   * The writer schema, synchronously when known, else a promise of it. The promise rejects
   * when the registry cannot be asked; a failure is not remembered, the next message asks again.
   */
  lookup(m: Versioned): WriterSchema | Promise<string | null> {
    const version = m.schemaVersion;
    if (!version || version.length === 0) return undefined;
    const last = this.last.get(m.topic);
    if (last && (last.seen === version || last.version.equals(version))) {
      last.seen = version;
      return last.schema;
    }
    const key = `${m.topic}\u0000${version.toString('hex')}`;
    const hit = this.known.get(key);
    if (hit !== undefined) {
      this.last.set(m.topic, { version: Buffer.from(version), schema: hit, seen: version });
      return hit;
    }
    let p = this.pending.get(key);
    if (!p) {
      const copy = Buffer.from(version);
      p = this.registry.getSchema(m.topic, copy).then((s) => {
        const schema = s && (s.type === undefined || s.type === 'AVRO') ? s.schema : null;
        this.known.set(key, schema);
        this.last.set(m.topic, { version: copy, schema, seen: copy });
        return schema;
      });
      this.pending.set(key, p);
      const forget = (): void => {
        this.pending.delete(key);
      };
      p.then(forget, forget);
    }
    return p;
  }

  /** `lookup`, always as a promise. */
  async of(m: Versioned): Promise<WriterSchema> {
    return this.lookup(m);
  }
}
