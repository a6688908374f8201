/**
 * Checks a payload against its Avro record before anything is encoded or sent, and says
 * what is wrong in terms a person can act on: the field path, the type the schema expects,
 * and what was given. Unknown fields are refused with the nearest known name.
 */
import type { AvroDefinition, AvroSchema } from './schemas.js';
import { fullNameOf } from './schemas.js';

export interface FieldProblem {
  /** Dot path inside the payload (`name`, `field_errors[0].path`); `''` for the payload itself. */
  path: string;
  /** What the schema wants there, e.g. `string`, `whole number (long)`, `one of view, click, conversion`. */
  expected: string;
  /** What was given, e.g. `nothing`, `"12.5" (text)`, `unknown field`. */
  got: string;
  /** The whole sentence, ready to print. */
  message: string;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every problem of `value` against `schema` (a standalone schema: named types defined inline). */
export function validateAgainst(schema: AvroSchema, value: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const named = new Map<string, AvroDefinition>();
  collectNamed(schema, named);
  check(schema, value, '', problems, named);
  return problems;
}

function collectNamed(s: AvroSchema, named: Map<string, AvroDefinition>): void {
  if (typeof s === 'string') return;
  if (Array.isArray(s)) {
    s.forEach((b) => collectNamed(b, named));
    return;
  }
  if (s.type === 'record' || s.type === 'enum' || s.type === 'fixed') named.set(fullNameOf(s), s);
  for (const f of s.fields ?? []) collectNamed(f.type, named);
  if (s.items !== undefined) collectNamed(s.items, named);
  if (s.values !== undefined) collectNamed(s.values, named);
}

function resolve(s: AvroSchema, named: Map<string, AvroDefinition>): AvroSchema {
  if (typeof s === 'string' && named.has(s)) return named.get(s)!;
  return s;
}

function check(schemaIn: AvroSchema, value: unknown, path: string, problems: FieldProblem[], named: Map<string, AvroDefinition>): void {
  const schema = resolve(schemaIn, named);
  const fail = (expected: string, got = describeValue(value)): void => {
    problems.push({ path, expected, got, message: `${path === '' ? 'the payload' : `field "${path}"`} must be ${expected}, got ${got}` });
  };

  if (Array.isArray(schema)) {
    const branches = schema.map((b) => resolve(b, named));
    if (value === null || value === undefined) {
      if (!branches.includes('null')) fail(describeType(schema, named));
      return;
    }
    const nonNull = branches.filter((b) => b !== 'null');
    // The common case, an optional field: report the inner problem with "or null" added.
    if (nonNull.length === 1) {
      const inner: FieldProblem[] = [];
      check(nonNull[0]!, value, path, inner, named);
      for (const p of inner) {
        const expected = p.path === path ? `${p.expected} or null` : p.expected;
        problems.push({
          ...p,
          expected,
          message: p.path === path ? `${path === '' ? 'the payload' : `field "${path}"`} must be ${expected}, got ${p.got}` : p.message,
        });
      }
      return;
    }
    if (!nonNull.some((b) => validateAgainstNamed(b, value, named))) fail(describeType(schema, named));
    return;
  }

  const type = typeof schema === 'string' ? schema : schema.type;
  const logical = typeof schema === 'string' ? undefined : schema.logicalType;
  switch (type) {
    case 'null':
      if (value !== null) fail('null');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT_MIN || value > INT_MAX) fail('a whole number (int)');
      return;
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        fail(logical === 'timestamp-millis' ? 'a time in milliseconds since the epoch (long)' : 'a whole number (long)');
      }
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('a number');
      return;
    case 'string':
      if (typeof value !== 'string') fail('text (string)');
      else if (logical === 'uuid' && !UUID_RE.test(value)) fail('a UUID (string)');
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail('bytes');
      return;
    case 'enum': {
      const symbols = (schema as AvroDefinition).symbols ?? [];
      if (typeof value !== 'string' || !symbols.includes(value)) {
        const guess = typeof value === 'string' ? nearest(value, symbols) : undefined;
        fail(`one of ${symbols.join(', ')}`, describeValue(value) + (guess ? ` (did you mean "${guess}"?)` : ''));
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) {
        fail(describeType(schema, named));
        return;
      }
      value.forEach((item, i) => check((schema as AvroDefinition).items!, item, `${path}[${i}]`, problems, named));
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        fail(describeType(schema, named));
        return;
      }
      for (const [k, v] of Object.entries(value)) check((schema as AvroDefinition).values!, v, join(path, k), problems, named);
      return;
    }
    case 'record':
    case 'error': {
      const def = schema as AvroDefinition;
      if (!isPlainObject(value)) {
        fail(`an object (record ${def.name})`);
        return;
      }
      const fields = def.fields ?? [];
      const known = fields.map((f) => f.name);
      for (const f of fields) {
        const v = value[f.name];
        const p = join(path, f.name);
        if (v === undefined) {
          if (f.default === undefined) {
            const expected = describeType(f.type, named);
            problems.push({ path: p, expected, got: 'nothing', message: `missing required field "${p}": expected ${expected}` });
          }
          continue;
        }
        check(f.type, v, p, problems, named);
      }
      for (const k of Object.keys(value)) {
        if (known.includes(k) || value[k] === undefined) continue;
        const p = join(path, k);
        const guess = nearest(k, known);
        problems.push({
          path: p,
          expected: `one of the fields ${known.join(', ')}`,
          got: 'unknown field',
          message: `unknown field "${p}"${guess ? ` — did you mean "${join(path, guess)}"?` : ` (known fields: ${known.join(', ')})`}`,
        });
      }
      return;
    }
    default:
      fail(`a value of Avro type ${type}`);
  }
}

function validateAgainstNamed(s: AvroSchema, value: unknown, named: Map<string, AvroDefinition>): boolean {
  const p: FieldProblem[] = [];
  check(s, value, '', p, named);
  return p.length === 0;
}

/** Human name of an Avro type: `text (string)`, `a whole number (long) or null`, `one of view, click`. */
export function describeType(schemaIn: AvroSchema, named: Map<string, AvroDefinition> = new Map()): string {
  const schema = resolve(schemaIn, named);
  if (Array.isArray(schema)) {
    const parts = schema.map((b) => describeType(b, named));
    const nonNull = parts.filter((p) => p !== 'null');
    return parts.includes('null') ? `${nonNull.join(' or ')} or null` : parts.join(' or ');
  }
  const type = typeof schema === 'string' ? schema : schema.type;
  const logical = typeof schema === 'string' ? undefined : schema.logicalType;
  switch (type) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'true or false';
    case 'int':
      return 'a whole number (int)';
    case 'long':
      return logical === 'timestamp-millis' ? 'a time in milliseconds since the epoch (long)' : 'a whole number (long)';
    case 'float':
    case 'double':
      return 'a number';
    case 'string':
      return logical === 'uuid' ? 'a UUID (string)' : 'text (string)';
    case 'bytes':
      return 'bytes';
    case 'enum':
      return `one of ${((schema as AvroDefinition).symbols ?? []).join(', ')}`;
    case 'array':
      return `a list of ${describeType((schema as AvroDefinition).items!, named).replace(/^an? /, '')}`;
    case 'map':
      return 'an object';
    case 'record':
      return `an object (record ${(schema as AvroDefinition).name})`;
    default:
      // A named type not in `named`: show its short name.
      return typeof schema === 'string' ? schema.slice(schema.lastIndexOf('.') + 1) : type;
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)} (text)`;
  if (typeof value === 'number') return `${value} (${Number.isInteger(value) ? 'whole number' : 'number'})`;
  if (typeof value === 'boolean') return `${value} (boolean)`;
  if (typeof value === 'bigint') return `${value} (bigint)`;
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The candidate nearest to `typed`, if it is close enough to be a typo. */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const t = typed.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(t, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}
