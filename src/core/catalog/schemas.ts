/**
 * Loads the Avro files of `schemas/` and turns each envelope into a standalone schema:
 * named types referenced by full name (`"miso.tracking.TrackingEventType"`) are written out
 * in full at their first use, as Avro requires of a schema that is registered on its own
 * (the broker and the official clients parse the envelope schema alone).
 *
 * Layout: `schemas/types/<fullname>.avsc` shared named types, `schemas/messages/<type>.avsc`
 * one record per message type, `schemas/envelopes/<topic>.avsc` one envelope per topic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { TOPICS, type TopicShortName, allSpecs } from './registry.js';

/** An Avro schema as JSON (a type name, a union array, or a definition object). */
export type AvroSchema = string | AvroSchema[] | AvroDefinition;
export interface AvroDefinition {
  type: string;
  name?: string;
  namespace?: string;
  doc?: string;
  fields?: AvroField[];
  symbols?: string[];
  items?: AvroSchema;
  values?: AvroSchema;
  logicalType?: string;
  default?: unknown;
  [attr: string]: unknown;
}
export interface AvroField {
  name: string;
  type: AvroSchema;
  doc?: string;
  default?: unknown;
  [attr: string]: unknown;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Where the .avsc files are: `<package root>/schemas`, the same from `src/` and `dist/`. */
export function schemasDir(): string {
  return fileURLToPath(new URL('../../../schemas/', import.meta.url));
}

export interface SchemaSources {
  /** Named types by full name: shared types and message records. */
  named: Map<string, AvroDefinition>;
  /** Message record definition by message type. */
  messages: Map<string, AvroDefinition>;
  /** Envelope definitions (payload union by reference) by topic. */
  envelopes: Map<TopicShortName, AvroDefinition>;
  dir: string;
}

let loaded: SchemaSources | undefined;

/** Read every .avsc under `dir` (default: the package's own `schemas/`). Cached for the default dir. */
export function loadSchemaSources(dir: string = schemasDir()): SchemaSources {
  if (loaded && loaded.dir === dir) return loaded;
  const named = new Map<string, AvroDefinition>();
  const messages = new Map<string, AvroDefinition>();
  const envelopes = new Map<TopicShortName, AvroDefinition>();
  for (const file of listAvsc(join(dir, 'types'))) {
    const def = readAvsc(join(dir, 'types', file));
    named.set(fullNameOf(def), def);
  }
  for (const spec of allSpecs()) {
    const def = readAvsc(join(dir, 'messages', `${spec.type}.avsc`));
    if (fullNameOf(def) !== spec.record) {
      throw new Error(`schemas/messages/${spec.type}.avsc defines ${fullNameOf(def)}, expected ${spec.record}`);
    }
    named.set(spec.record, def);
    messages.set(spec.type, def);
  }
  // Message records not (yet) in the registry: a schemas dir under development may add a
  // type to a topic's union before the code knows it (`miso schemas check --dir`).
  for (const file of listAvsc(join(dir, 'messages'))) {
    const type = file.slice(0, -'.avsc'.length);
    if (messages.has(type)) continue;
    const def = readAvsc(join(dir, 'messages', file));
    named.set(fullNameOf(def), def);
  }
  for (const topic of TOPICS) envelopes.set(topic, readAvsc(join(dir, 'envelopes', `${topic}.avsc`)));
  const sources = { named, messages, envelopes, dir };
  if (dir === schemasDir()) loaded = sources;
  return sources;
}

function listAvsc(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort();
  } catch {
    return [];
  }
}

function readAvsc(file: string): AvroDefinition {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as AvroDefinition;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function fullNameOf(def: AvroDefinition): string {
  if (!def.name) throw new Error(`named Avro type without a name: ${JSON.stringify(def).slice(0, 80)}`);
  return def.name.includes('.') || !def.namespace ? def.name : `${def.namespace}.${def.name}`;
}

/**
 * A standalone copy of `schema`: every reference to a named type in `named` that is not yet
 * defined is replaced by its definition (recursively), later references stay names.
 */
export function inline(schema: AvroSchema, named: Map<string, AvroDefinition>, defined: Set<string> = new Set()): AvroSchema {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema) || defined.has(schema)) return schema;
    const def = named.get(schema);
    if (!def) throw new Error(`unknown Avro type "${schema}" (no file in schemas/types or schemas/messages defines it)`);
    return inline(def, named, defined);
  }
  if (Array.isArray(schema)) return schema.map((s) => inline(s, named, defined));
  const out: AvroDefinition = { ...schema };
  if (schema.type === 'record' || schema.type === 'enum' || schema.type === 'fixed') defined.add(fullNameOf(schema));
  if (schema.type === 'record' || schema.type === 'error') {
    out.fields = (schema.fields ?? []).map((f) => ({ ...f, type: inline(f.type, named, defined) }));
  } else if (schema.type === 'array') {
    out.items = inline(schema.items!, named, defined);
  } else if (schema.type === 'map') {
    out.values = inline(schema.values!, named, defined);
  }
  return out;
}

/** The standalone envelope schema of a topic (what the broker registers). */
export function envelopeSchema(topic: TopicShortName, sources: SchemaSources = loadSchemaSources()): AvroDefinition {
  const env = sources.envelopes.get(topic);
  if (!env) throw new Error(`no envelope schema for topic ${topic}`);
  return inline(env, sources.named) as AvroDefinition;
}

/** The standalone record schema of one message type. */
export function messageSchema(type: string, sources: SchemaSources = loadSchemaSources()): AvroDefinition {
  const def = sources.messages.get(type);
  if (!def) throw new Error(`no schema for message type ${type}`);
  return inline(def, sources.named) as AvroDefinition;
}

/** Full names of the payload union branches of a topic's envelope, in order. */
export function payloadBranches(topic: TopicShortName, sources: SchemaSources = loadSchemaSources()): string[] {
  const payload = sources.envelopes.get(topic)?.fields?.find((f) => f.name === 'payload');
  if (!payload || !Array.isArray(payload.type)) throw new Error(`envelope of ${topic} has no payload union`);
  return payload.type.map((b) => (typeof b === 'string' ? b : fullNameOf(b as AvroDefinition)));
}
