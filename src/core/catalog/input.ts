/**
 * Turning what a person types into payloads and envelopes: message types by short name
 * (with "did you mean"), payload fields as `--kebab-case value` flags coerced by their Avro
 * type, JSON documents and NDJSON lines (payloads or whole envelopes, e.g. lines printed by
 * `miso tail --json`). Pure: no I/O; problems are returned, not printed.
 *
 * Over the ~400 lines we aim for: one coercion table (Avro type → what a person may type)
 * and the three entry points that share it (flags, JSON, NDJSON).
 */
import { UsageError } from '../../errors.js';
import { findSpec, allSpecs, MESSAGE_TYPES, SHORT_NAMES, type MessageSpec, type MessageKind, type MessageType } from './registry.js';
import { loadSchemaSources, type AvroDefinition, type AvroSchema } from './schemas.js';
import { nearest, describeType, type FieldProblem } from './validate.js';
import { validate, validateEnvelope } from './check.js';
import { withDefaults, withGeneratedIds, type AnyEnvelope } from './envelope.js';
import { randomUUID } from 'node:crypto';

/** The spec for what was typed (full type, short name, dashes for underscores), or a UsageError with the nearest name. */
export function resolveMessageType(typed: string, opts: { kinds?: readonly MessageKind[] } = {}): MessageSpec {
  const spec = findSpec(typed);
  const kinds = opts.kinds;
  if (spec && (!kinds || kinds.includes(spec.kind))) return spec;
  const candidates = allSpecs().filter((s) => !kinds || kinds.includes(s.kind));
  if (spec) {
    throw new UsageError(`"${typed}" is ${spec.kind === 'event' ? 'an event' : 'a ' + spec.kind}, not a ${kinds!.join(' or ')}`, {
      hint: `Use one of: ${candidates.map((s) => s.short).join(', ')}.`,
    });
  }
  const guess =
    nearest(
      typed,
      candidates.map((s) => s.short),
    ) ??
    nearest(
      typed,
      candidates.map((s) => s.type),
    );
  throw new UsageError(`unknown message type "${typed}"`, {
    hint: guess ? `Did you mean "${guess}"? Run \`miso schemas list\` for all types.` : `Known types: ${candidates.map((s) => s.short).join(', ')}.`,
  });
}

/** `--user-id` → `user_id`. */
export function flagToField(flag: string): string {
  return flag.replace(/^--?/, '').replace(/-/g, '_');
}

/** `user_id` → `--user-id`. */
export function fieldToFlag(field: string): string {
  return `--${field.replace(/_/g, '-')}`;
}

function fieldsOf(type: string): AvroDefinition['fields'] & object {
  const def = loadSchemaSources().messages.get(type);
  if (!def) throw new Error(`no schema for ${type}`);
  return def.fields ?? [];
}

/**
 * Payload fields from `--field value` / `--field=value` tokens, each coerced by the field's
 * Avro type (whole numbers for long/int, `null` for an optional non-text field, JSON for
 * records and lists). Unknown fields are problems, with the nearest field name.
 */
export function parseFieldFlags(type: MessageType, tokens: readonly string[]): { payload: Record<string, unknown>; problems: FieldProblem[] } {
  const fields = fieldsOf(type);
  const names = fields.map((f) => f.name);
  const named = loadSchemaSources().named;
  const payload: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!tok.startsWith('--')) {
      problems.push({
        path: '',
        expected: '--field value',
        got: JSON.stringify(tok),
        message: `unexpected argument "${tok}" — payload fields are given as --field value`,
      });
      continue;
    }
    const eq = tok.indexOf('=');
    const flag = eq >= 0 ? tok.slice(0, eq) : tok;
    const field = flagToField(flag);
    const def = fields.find((f) => f.name === field);
    if (!def) {
      const guess = nearest(field, names);
      problems.push({
        path: field,
        expected: `one of the fields ${names.join(', ')}`,
        got: 'unknown field',
        message: `unknown field ${flag} for ${type}${guess ? ` — did you mean ${fieldToFlag(guess)}?` : ` (fields: ${names.map(fieldToFlag).join(' ')})`}`,
      });
      if (eq < 0 && i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--')) i++;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = tok.slice(eq + 1);
    else if (i + 1 < tokens.length && !isFlagToken(tokens[i + 1]!)) raw = tokens[++i]!;
    const kind = baseType(def.type, named);
    if (raw === undefined) {
      if (kind === 'boolean') {
        payload[field] = true;
        continue;
      }
      problems.push({
        path: field,
        expected: describeType(def.type, named),
        got: 'nothing',
        message: `${flag} needs a value (${describeType(def.type, named)})`,
      });
      continue;
    }
    const coerced = coerce(raw, def.type, named);
    if (coerced.ok) payload[field] = coerced.value;
    else
      problems.push({
        path: field,
        expected: coerced.expected,
        got: JSON.stringify(raw),
        message: `${flag} must be ${coerced.expected}, got ${JSON.stringify(raw)}`,
      });
  }
  return { payload, problems };
}

/** A flag token, as opposed to a value that happens to start with a dash (`-5`). */
function isFlagToken(tok: string): boolean {
  return tok.startsWith('--') && tok.length > 2;
}

function nonNullBranches(s: AvroSchema): AvroSchema[] {
  return Array.isArray(s) ? s.filter((b) => b !== 'null') : [s];
}

function baseType(s: AvroSchema, named: Map<string, AvroDefinition>): string {
  const inner = nonNullBranches(s);
  if (inner.length !== 1) return 'union';
  const t = inner[0]!;
  if (typeof t === 'string') return named.get(t)?.type ?? t;
  return Array.isArray(t) ? 'union' : t.type;
}

function coerce(raw: string, schema: AvroSchema, named: Map<string, AvroDefinition>): { ok: true; value: unknown } | { ok: false; expected: string } {
  const nullable = Array.isArray(schema) && schema.includes('null');
  const kind = baseType(schema, named);
  const expected = describeType(schema, named);
  if (nullable && raw === 'null' && kind !== 'string' && kind !== 'enum') return { ok: true, value: null };
  switch (kind) {
    case 'string':
    case 'enum':
      return { ok: true, value: raw };
    case 'int':
    case 'long': {
      const t = raw.replace(/_/g, '');
      if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) return { ok: false, expected };
      return { ok: true, value: Number(t) };
    }
    case 'float':
    case 'double': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, expected };
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(raw)) return { ok: true, value: true };
      if (/^(false|no|0)$/i.test(raw)) return { ok: true, value: false };
      return { ok: false, expected };
    default:
      try {
        return { ok: true, value: JSON.parse(raw) as unknown };
      } catch {
        return { ok: false, expected: `${expected} as JSON` };
      }
  }
}

export interface NdjsonLine {
  line: number;
  value: unknown;
}
export interface LineError {
  line: number;
  message: string;
}

/** JSON values, one per non-blank line, with 1-based line numbers; a line that is not JSON is an error for that line. */
export function parseNdjson(text: string): { items: NdjsonLine[]; errors: LineError[] } {
  const items: NdjsonLine[] = [];
  const errors: LineError[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      items.push({ line: i + 1, value: JSON.parse(l) as unknown });
    } catch (err) {
      errors.push({
        line: i + 1,
        message: `line ${i + 1} is not valid JSON: ${(err as Error).message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position.*$/, '')}`,
      });
    }
  });
  return { items, errors };
}

/**
 * A whole JSON document given with `--data` or `--file`: one value, or (when the text has
 * several lines each holding a value) NDJSON. A JSON array is a list of messages.
 */
export function parseJsonInput(text: string): { items: NdjsonLine[]; errors: LineError[] } {
  const trimmed = text.trim();
  if (trimmed === '') return { items: [], errors: [{ line: 1, message: 'the input is empty' }] };
  try {
    const value = JSON.parse(trimmed) as unknown;
    if (Array.isArray(value)) return { items: value.map((v, i) => ({ line: i + 1, value: v })), errors: [] };
    return { items: [{ line: 1, value }], errors: [] };
  } catch {
    return parseNdjson(text);
  }
}

/** An input value is a whole envelope when it has a `type` and a `payload` object. */
export function isEnvelopeLike(v: unknown): v is Record<string, unknown> & { type: string; payload: unknown } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as Record<string, unknown>).type === 'string' &&
    typeof (v as Record<string, unknown>).payload === 'object' &&
    (v as Record<string, unknown>).payload !== null
  );
}

export interface PrepareOptions {
  /** The type from the command line, if given; a payload without one needs it. */
  type?: MessageType;
  correlationId?: string;
  causationId?: string;
  id?: string;
  now?: number;
  /** Which kinds of message may be sent (default: all). */
  kinds?: readonly MessageKind[];
}

export type Prepared = { ok: true; envelope: AnyEnvelope; topic?: string } | { ok: false; problems: FieldProblem[] };

/**
 * A complete, validated envelope from one input value (a payload, or an envelope such as a
 * line of `miso tail --json`): generated ids, schema defaults, timestamp, correlation id
 * filled in unless given. Nothing is sent here.
 */
export function prepareMessage(value: unknown, opts: PrepareOptions = {}): Prepared {
  let type: string | undefined = opts.type;
  let payload: unknown = value;
  let base: Record<string, unknown> = {};
  let topic: string | undefined;
  if (isEnvelopeLike(value)) {
    const spec = findSpec(value.type);
    if (!spec) return { ok: false, problems: validate(value.type, value.payload) };
    if (type && spec.type !== type) {
      return {
        ok: false,
        problems: [
          { path: 'type', expected: type, got: JSON.stringify(value.type), message: `the message is a ${spec.type}, but the command line says ${type}` },
        ],
      };
    }
    type = spec.type;
    payload = value.payload;
    base = value;
    const meta = value.meta as Record<string, unknown> | undefined;
    if (meta && typeof meta.topic === 'string') topic = meta.topic;
  }
  if (!type) {
    return {
      ok: false,
      problems: [
        {
          path: 'type',
          expected: 'a message type',
          got: 'nothing',
          message: 'no message type: give it as the first argument (`miso send campaign.create ...`) or send whole envelopes with a "type" field',
        },
      ],
    };
  }
  const spec = findSpec(type)!;
  if (opts.kinds && !opts.kinds.includes(spec.kind)) {
    return {
      ok: false,
      problems: [
        {
          path: 'type',
          expected: opts.kinds.join(' or '),
          got: spec.kind,
          message: `${spec.type} is a${spec.kind === 'event' ? 'n' : ''} ${spec.kind}; only ${opts.kinds.join(' or ')} messages can be sent here`,
        },
      ],
    };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, problems: validate(spec.type, payload) };
  }
  const full = withDefaults(spec.type, withGeneratedIds(spec.type, payload as Record<string, unknown>));
  const id = opts.id ?? (typeof base.id === 'string' ? base.id : randomUUID());
  const envelope = {
    id,
    type: spec.type,
    timestamp: opts.now ?? (typeof base.timestamp === 'number' ? base.timestamp : Date.now()),
    correlation_id: opts.correlationId ?? (typeof base.correlation_id === 'string' ? base.correlation_id : id),
    causation_id: opts.causationId ?? (typeof base.causation_id === 'string' ? base.causation_id : null),
    payload: full,
  };
  const problems = validateEnvelope(isEnvelopeLike(value) ? { ...value, ...envelope } : envelope, { allowMeta: true });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, envelope: envelope as unknown as AnyEnvelope, ...(topic ? { topic } : {}) };
}

/** All short names and full types, for shell completion and help. */
export function typeChoices(kinds?: readonly MessageKind[]): string[] {
  if (!kinds) return [...SHORT_NAMES, ...MESSAGE_TYPES];
  return allSpecs()
    .filter((s) => kinds.includes(s.kind))
    .flatMap((s) => [s.short, s.type]);
}

export interface BatchInput {
  /** The type given on the command line, if any. */
  type?: MessageType;
  /** Payload fields as `--field value` tokens. */
  fieldTokens?: readonly string[];
  /** JSON text: one document, an array, or NDJSON (from --data, --file or stdin). */
  jsonText?: string;
  /** Where the JSON came from, for messages ("stdin", "f.json"). */
  jsonSource?: string;
  correlationId?: string;
  causationId?: string;
  id?: string;
  /** Send each message this many times (fresh generated ids and envelope ids each time). */
  count?: number;
  kinds?: readonly MessageKind[];
}

export interface PreparedBatch {
  messages: { line: number; envelope: AnyEnvelope; topic?: string }[];
  /** One entry per refused input line (line 0 = the command-line fields). */
  errors: { line: number; message: string }[];
}

/**
 * Every message of one `miso send` run, complete and validated, or the reasons each input
 * line is refused. Nothing is sent here; the caller sends none when there are errors
 * (unless told to go on without the bad lines).
 */
export function prepareBatch(input: BatchInput): PreparedBatch {
  const hasFields = (input.fieldTokens?.length ?? 0) > 0;
  if (hasFields && input.jsonText !== undefined) {
    throw new UsageError('give the payload as --field flags or as JSON (--data, --file, stdin), not both');
  }
  const count = input.count ?? 1;
  const errors: PreparedBatch['errors'] = [];
  let items: NdjsonLine[];
  if (input.jsonText !== undefined) {
    const parsed = parseJsonInput(input.jsonText);
    items = parsed.items;
    for (const e of parsed.errors)
      errors.push({ line: e.line, message: e.message.startsWith('line') ? e.message : `${input.jsonSource ?? 'input'}: ${e.message}` });
  } else {
    if (!input.type)
      throw new UsageError('which message type?', {
        hint: 'Give it first: `miso send campaign.create --name "My Campaign" --user-id user123` (see `miso schemas list`).',
      });
    const { payload, problems } = parseFieldFlags(input.type, input.fieldTokens ?? []);
    if (problems.length) {
      for (const p of problems) errors.push({ line: 0, message: p.message });
      return { messages: [], errors };
    }
    items = [{ line: 0, value: payload }];
  }
  const many = items.length * count > 1;
  if (many && input.id) throw new UsageError('--id names one message, but this sends several', { hint: 'Leave --id out; each message gets its own id.' });
  const messages: PreparedBatch['messages'] = [];
  for (const item of items) {
    for (let i = 0; i < count; i++) {
      const r = prepareMessage(item.value, {
        ...(input.type ? { type: input.type } : {}),
        ...(input.correlationId ? { correlationId: input.correlationId } : {}),
        ...(input.causationId ? { causationId: input.causationId } : {}),
        ...(input.id ? { id: input.id } : {}),
        ...(input.kinds ? { kinds: input.kinds } : {}),
      });
      if (r.ok) messages.push({ line: item.line, envelope: r.envelope, ...(r.topic ? { topic: r.topic } : {}) });
      else {
        const where = item.line === 0 ? '' : `line ${item.line}: `;
        for (const p of r.problems) errors.push({ line: item.line, message: `${where}${p.message}` });
        break;
      }
    }
  }
  if (!errors.length && !messages.length) errors.push({ line: 0, message: `${input.jsonSource ?? 'input'} holds no message` });
  return { messages, errors };
}

/**
 * The payload-field tokens of a command line: everything that is not the message type (the
 * first bare word) or one of the command's own flags (`known`: flag name → takes a value).
 * oclif cannot declare schema-generated flags statically, so `miso send` reads them here.
 */
export function fieldTokensOf(
  argv: readonly string[],
  known: ReadonlyMap<string, boolean>,
  chars: ReadonlyMap<string, boolean> = new Map(),
): { type: string | undefined; tokens: string[] } {
  const tokens: string[] = [];
  let type: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      tokens.push(...argv.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = tok.slice(2, eq >= 0 ? eq : undefined);
      const bare = name.startsWith('no-') && known.get(name.slice(3)) === false ? name.slice(3) : name;
      if (known.has(bare)) {
        if (known.get(bare) && eq < 0) i++;
        continue;
      }
      tokens.push(tok);
      // The value of an unknown flag is the next token unless that is a flag too.
      if (eq < 0 && i + 1 < argv.length && !(argv[i + 1]!.startsWith('--') && argv[i + 1]!.length > 2)) tokens.push(argv[++i]!);
      continue;
    }
    if (/^-[A-Za-z]$/.test(tok) && chars.has(tok.slice(1))) {
      if (chars.get(tok.slice(1))) i++;
      continue;
    }
    if (type === undefined && tokens.length === 0) {
      type = tok;
      continue;
    }
    tokens.push(tok);
  }
  return { type, tokens };
}
