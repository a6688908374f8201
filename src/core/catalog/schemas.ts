/**
 * Loads the Avro files of `schemas/` and turns each envelope into a standalone schema:
 * named types referenced by full name (`"miso.tracking.TrackingEventType"`) are written out
 * in full at their first use, as Avro requires of a schema that is registered on its own
 * (the broker and the official clients parse the envelope schema alone).
 *
 * Layout: `schemas/types/<fullname>.avsc` shared named types, `schemas/messages/<type>.avsc`
 * one record per message type, `schemas/envelopes/<topic>.avsc` one envelope per topic.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import avsc from 'avsc';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
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

/** The layout a schemas directory must have, for hints. */
const LAYOUT_HINT = 'A schemas directory has the layout of the built-in one: types/, messages/<type>.avsc, envelopes/<topic>.avsc (copy schemas/ and edit it).';

/**
 * Read every .avsc under `dir` (default: the package's own `schemas/`). Cached for the default
 * dir. Another directory is user input: whatever is wrong with it (missing, unreadable, not
 * JSON, not Avro, a record under the wrong name) is a UsageError naming the file.
 */
export function loadSchemaSources(dir: string = schemasDir()): SchemaSources {
  if (loaded && loaded.dir === dir) return loaded;
  const custom = dir !== schemasDir();
  if (custom) requireDirectory(dir);
  const named = new Map<string, AvroDefinition>();
  const messages = new Map<string, AvroDefinition>();
  const envelopes = new Map<TopicShortName, AvroDefinition>();
  for (const file of listAvsc(join(dir, 'types'))) {
    const def = readAvsc(dir, join('types', file));
    named.set(fullNameOf(def, join(dir, 'types', file)), def);
  }
  for (const spec of allSpecs()) {
    const rel = join('messages', `${spec.type}.avsc`);
    const def = readAvsc(dir, rel, 'record');
    const name = fullNameOf(def, join(dir, rel));
    if (name !== spec.record) {
      throw new UsageError(`${join(dir, rel)} defines ${name}, expected ${spec.record}`, {
        hint: `Keep the record name of ${spec.type}: a new name is a new type to every reader.`,
      });
    }
    named.set(spec.record, def);
    messages.set(spec.type, def);
  }
  // Message records not (yet) in the registry: a schemas dir under development may add a
  // type to a topic's union before the code knows it (`miso schemas check --dir`).
  for (const file of listAvsc(join(dir, 'messages'))) {
    const type = file.slice(0, -'.avsc'.length);
    if (messages.has(type)) continue;
    const rel = join('messages', file);
    const def = readAvsc(dir, rel, 'record');
    named.set(fullNameOf(def, join(dir, rel)), def);
  }
  for (const topic of TOPICS) envelopes.set(topic, readAvsc(dir, join('envelopes', `${topic}.avsc`), 'record'));
  const sources = { named, messages, envelopes, dir };
  if (custom) checkAvro(sources);
  else loaded = sources;
  return sources;
}

function requireDirectory(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new UsageError(
      `schemas directory ${dir} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`}`,
      { hint: `Check the path given to --dir. ${LAYOUT_HINT}` },
    );
  }
  if (!isDir) throw new UsageError(`${dir} is not a directory`, { hint: `Give --dir the schemas directory, not a file. ${LAYOUT_HINT}` });
}

/** Every envelope of a schemas directory other than ours, inlined and parsed as Avro: bad Avro is refused before anything reaches the broker. */
function checkAvro(sources: SchemaSources): void {
  for (const topic of TOPICS) {
    const file = join(sources.dir, 'envelopes', `${topic}.avsc`);
    try {
      const env = envelopeSchema(topic, sources);
      if (!env.fields?.some((f) => f.name === 'payload')) throw new Error('the envelope has no payload field');
      avsc.Type.forSchema(env as avsc.Schema, { wrapUnions: 'auto' });
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${file}: ${err.message}`, err.hint ? { hint: err.hint } : {});
      throw new UsageError(`${file} is not a valid Avro envelope: ${(err as Error).message}`, {
        hint: 'Compare it with the built-in envelope (`miso schemas show` shows the records); every topic needs a record with a payload union.',
      });
    }
  }
}

function listAvsc(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
  } catch {
    return [];
  }
}

function readAvsc(dir: string, rel: string, kind?: 'record'): AvroDefinition {
  const file = join(dir, rel);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${dir} has no ${rel}`, { hint: `Every message type and topic needs its file. ${LAYOUT_HINT}` });
    throw new UsageError(`cannot read ${file} (${code ?? String(err)})`, { hint: 'Check that it is a readable file.' });
  }
  let def: unknown;
  try {
    def = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`, { hint: 'An .avsc file holds one Avro schema written as JSON.' });
  }
  if (def === null || typeof def !== 'object' || Array.isArray(def) || (kind === 'record' && (def as AvroDefinition).type !== 'record')) {
    throw new UsageError(`${file} is not an Avro ${kind ?? 'named type'} definition`, { hint: `Expected {"type": "${kind ?? 'record'}", "name": …, …}.` });
  }
  return def as AvroDefinition;
}

export function fullNameOf(def: AvroDefinition, file?: string): string {
  if (!def.name || typeof def.name !== 'string') {
    if (file) throw new UsageError(`${file} defines a type without a name`, { hint: 'A named Avro type needs "name" (and usually "namespace").' });
    throw new Error(`named Avro type without a name: ${JSON.stringify(def).slice(0, 80)}`);
  }
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
    if (!def)
      throw new UsageError(`unknown Avro type "${schema}"`, {
        hint: 'No file in types/ or messages/ of the schemas directory defines it: add it, or fix the name.',
      });
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
