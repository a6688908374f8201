/**
 * `validate(type, payload)` and `validateEnvelope(env)`: the checks `miso send` runs before
 * anything is sent, and encoding runs when avsc refuses a value (to name the field).
 */
import { specOf, MESSAGE_TYPES, SHORT_NAMES } from './registry.js';
import { loadSchemaSources, messageSchema } from './schemas.js';
import { validateAgainst, describeValue, nearest, type FieldProblem } from './validate.js';

export type { FieldProblem } from './validate.js';

const payloadSchemas = new Map<string, ReturnType<typeof messageSchema>>();

/** Every problem of `payload` as the payload of `type` (empty when it fits). */
export function validate(type: string, payload: unknown): FieldProblem[] {
  if (!specOf(type)) {
    const guess = nearest(type, [...MESSAGE_TYPES, ...SHORT_NAMES]);
    return [
      {
        path: '',
        expected: 'a known message type',
        got: JSON.stringify(type),
        message: `unknown message type "${type}"${guess ? ` — did you mean "${guess}"?` : ''}`,
      },
    ];
  }
  let schema = payloadSchemas.get(type);
  if (!schema) {
    schema = messageSchema(type, loadSchemaSources());
    payloadSchemas.set(type, schema);
  }
  return validateAgainst(schema, payload);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENVELOPE_FIELDS = ['id', 'type', 'timestamp', 'correlation_id', 'causation_id', 'payload'];

/**
 * Every problem of a whole envelope: its own fields, then the payload (paths prefixed with
 * `payload.`). Extra top-level keys other than `meta` (which `miso tail --json` adds) are refused.
 */
export function validateEnvelope(env: unknown, opts: { allowMeta?: boolean } = {}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, expected: string, value: unknown): void => {
    const got = describeValue(value);
    problems.push({
      path,
      expected,
      got,
      message: value === undefined ? `missing required field "${path}": expected ${expected}` : `field "${path}" must be ${expected}, got ${got}`,
    });
  };
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    add('', 'an object (envelope)', env);
    return problems;
  }
  const e = env as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID_RE.test(e.id)) add('id', 'a UUID (string)', e.id);
  if (typeof e.type !== 'string') add('type', 'a message type (string)', e.type);
  if (typeof e.timestamp !== 'number' || !Number.isSafeInteger(e.timestamp)) add('timestamp', 'a time in milliseconds since the epoch (long)', e.timestamp);
  if (typeof e.correlation_id !== 'string' || e.correlation_id === '') add('correlation_id', 'a non-empty string', e.correlation_id);
  if (e.causation_id !== undefined && e.causation_id !== null && typeof e.causation_id !== 'string')
    add('causation_id', 'text (string) or null', e.causation_id);
  for (const k of Object.keys(e)) {
    if (ENVELOPE_FIELDS.includes(k) || (opts.allowMeta && k === 'meta') || e[k] === undefined) continue;
    const guess = nearest(k, ENVELOPE_FIELDS);
    problems.push({
      path: k,
      expected: `one of the fields ${ENVELOPE_FIELDS.join(', ')}`,
      got: 'unknown field',
      message: `unknown envelope field "${k}"${guess ? ` — did you mean "${guess}"?` : ''}`,
    });
  }
  if (typeof e.type === 'string') {
    for (const p of validate(e.type, e.payload)) {
      const path = p.path === '' ? (specOf(e.type) ? 'payload' : 'type') : `payload.${p.path}`;
      problems.push({
        ...p,
        path,
        message: p.path === '' ? p.message.replace('the payload', 'field "payload"') : p.message.replace(`"${p.path}"`, `"${path}"`),
      });
    }
  }
  return problems;
}
