import { describe, it, expect } from 'vitest';
import {
  validate,
  validateEnvelope,
  resolveMessageType,
  parseFieldFlags,
  parseNdjson,
  parseJsonInput,
  prepareMessage,
  newEnvelope,
  MESSAGE_TYPES,
  type MessageType,
} from '../../../src/core/catalog/index.js';
import { UsageError } from '../../../src/errors.js';
import { SAMPLES } from './samples.js';

describe('validate(type, payload)', () => {
  it('accepts every sample payload', () => {
    for (const type of MESSAGE_TYPES) expect(validate(type, SAMPLES[type as MessageType]), type).toEqual([]);
  });

  it('names a missing required field and its type', () => {
    const { name: _n, ...rest } = SAMPLES['campaign.create.command.v1'];
    const problems = validate('campaign.create.command.v1', rest);
    expect(problems).toEqual([{ path: 'name', expected: 'text (string)', got: 'nothing', message: 'missing required field "name": expected text (string)' }]);
  });

  it('names a field of the wrong type with expected and given', () => {
    const problems = validate('payment.process.command.v1', { ...SAMPLES['payment.process.command.v1'], amount_minor: '13.00' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'amount_minor', expected: 'a whole number (long)', got: '"13.00" (text)' });
    expect(problems[0]!.message).toBe('field "amount_minor" must be a whole number (long), got "13.00" (text)');
  });

  it('says an optional field may also be null', () => {
    const problems = validate('tracking.create_event.command.v1', { ...SAMPLES['tracking.create_event.command.v1'], sale_amount_minor: 1.5 });
    expect(problems[0]).toMatchObject({ path: 'sale_amount_minor', expected: 'a whole number (long) or null', got: '1.5 (number)' });
  });

  it('lists enum symbols and suggests the nearest', () => {
    const problems = validate('tracking.create_event.command.v1', { ...SAMPLES['tracking.create_event.command.v1'], event_type: 'clik' });
    expect(problems[0]).toMatchObject({ path: 'event_type', expected: 'one of view, click, conversion' });
    expect(problems[0]!.got).toContain('did you mean "click"?');
  });

  it('refuses unknown fields with the nearest known field', () => {
    const problems = validate('campaign.create.command.v1', { ...SAMPLES['campaign.create.command.v1'], usr_id: 'x' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('unknown field "usr_id" — did you mean "user_id"?');
  });

  it('gives paths into nested records and lists', () => {
    const problems = validate('command.rejected.v1', { ...SAMPLES['command.rejected.v1'], field_errors: [{ path: 'a', message: 'b' }, { path: 7 }] });
    expect(problems.map((p) => p.path)).toEqual(['field_errors[1].path', 'field_errors[1].message']);
  });

  it('refuses a payload that is not an object, and unknown types with a suggestion', () => {
    expect(validate('campaign.created.v1', 'hello')[0]!.message).toMatch(/the payload must be an object/);
    expect(validate('campaign.crated.v1', {})[0]!.message).toMatch(/unknown message type "campaign\.crated\.v1" — did you mean "campaign\.created\.v1"\?/);
  });

  it('checks the envelope fields too', () => {
    const env = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1']);
    expect(validateEnvelope(env)).toEqual([]);
    const bad = { ...env, id: 'nope', timestamp: 1.5, payload: { ...env.payload, name: 3 }, extra: 1 };
    expect(validateEnvelope(bad).map((p) => p.path)).toEqual(['id', 'timestamp', 'extra', 'payload.name']);
    expect(validateEnvelope(bad)[3]!.message).toBe('field "payload.name" must be text (string), got 3 (whole number)');
  });
});

describe('resolveMessageType', () => {
  it('takes short names and full types', () => {
    expect(resolveMessageType('payment.process').type).toBe('payment.process.command.v1');
    expect(resolveMessageType('tracking.create-event').type).toBe('tracking.create_event.command.v1');
  });

  it('suggests the nearest name for a typo', () => {
    expect(() => resolveMessageType('campain.create')).toThrow(UsageError);
    try {
      resolveMessageType('campain.create');
    } catch (e) {
      expect((e as UsageError).message).toBe('unknown message type "campain.create"');
      expect((e as UsageError).hint).toMatch(/Did you mean "campaign\.create"\?/);
    }
  });

  it('refuses an event where only commands are allowed', () => {
    expect(() => resolveMessageType('campaign.created', { kinds: ['command'] })).toThrow(/is an event, not a command/);
  });
});

describe('parseFieldFlags', () => {
  it('maps kebab-case flags to schema fields and coerces by Avro type', () => {
    const { payload, problems } = parseFieldFlags('tracking.create_event.command.v1', [
      '--event-type',
      'conversion',
      '--campaign-id=c1',
      '--video-id',
      'v1',
      '--visitor-id',
      'u9',
      '--sale-amount-minor',
      '12_999',
    ]);
    expect(problems).toEqual([]);
    expect(payload).toEqual({ event_type: 'conversion', campaign_id: 'c1', video_id: 'v1', visitor_id: 'u9', sale_amount_minor: 12999 });
  });

  it('takes "null" for an optional number but keeps it as text for an optional string', () => {
    expect(parseFieldFlags('campaign.create.command.v1', ['--budget-minor', 'null', '--description', 'null']).payload).toEqual({
      budget_minor: null,
      description: 'null',
    });
  });

  it('keeps values that start with a dash', () => {
    expect(parseFieldFlags('payment.process.command.v1', ['--amount-minor', '-5']).payload).toEqual({ amount_minor: -5 });
  });

  it('refuses a non-integer for a long field, naming the flag', () => {
    const { problems } = parseFieldFlags('payment.process.command.v1', ['--amount-minor', '12.50']);
    expect(problems[0]!.message).toBe('--amount-minor must be a whole number (long), got "12.50"');
  });

  it('refuses unknown fields with "did you mean"', () => {
    const { problems } = parseFieldFlags('campaign.create.command.v1', ['--nam', 'x', '--user-id', 'u']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('unknown field --nam for campaign.create.command.v1 — did you mean --name?');
  });

  it('refuses a flag without a value and a stray argument', () => {
    expect(parseFieldFlags('campaign.create.command.v1', ['--name']).problems[0]!.message).toBe('--name needs a value (text (string))');
    expect(parseFieldFlags('campaign.create.command.v1', ['oops']).problems[0]!.message).toMatch(/unexpected argument "oops"/);
  });

  it('parses JSON for list fields', () => {
    const { payload } = parseFieldFlags('command.rejected.v1', ['--field-errors', '[{"path":"a","message":"b"}]']);
    expect(payload.field_errors).toEqual([{ path: 'a', message: 'b' }]);
  });
});

describe('NDJSON and JSON input', () => {
  it('numbers lines and reports the bad ones', () => {
    const { items, errors } = parseNdjson('{"a":1}\n\n{"a":2}\n{oops\n{"a":3}\n');
    expect(items.map((i) => i.line)).toEqual([1, 3, 5]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.line).toBe(4);
    expect(errors[0]!.message).toMatch(/^line 4 is not valid JSON/);
  });

  it('reads one document, an array, or NDJSON', () => {
    expect(parseJsonInput('{\n "a": 1\n}').items).toEqual([{ line: 1, value: { a: 1 } }]);
    expect(parseJsonInput('[{"a":1},{"a":2}]').items.map((i) => i.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseJsonInput('{"a":1}\n{"a":2}').items.map((i) => i.line)).toEqual([1, 2]);
    expect(parseJsonInput('  ').errors[0]!.message).toBe('the input is empty');
  });
});

describe('prepareMessage', () => {
  it('completes a payload: generated ids, defaults, id, timestamp, new workflow', () => {
    const r = prepareMessage({ user_id: 'u', name: 'n' }, { type: 'campaign.create.command.v1', now: 1234 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.envelope.payload).toMatchObject({ user_id: 'u', name: 'n', currency: 'USD', description: null });
    expect((r.envelope.payload as { campaign_id: string }).campaign_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.envelope.timestamp).toBe(1234);
    expect(r.envelope.correlation_id).toBe(r.envelope.id);
  });

  it('joins a workflow when a correlation id is given', () => {
    const r = prepareMessage({ user_id: 'u', name: 'n' }, { type: 'campaign.create.command.v1', correlationId: 'wf-42' });
    expect(r.ok && r.envelope.correlation_id).toBe('wf-42');
  });

  it('accepts a whole envelope back (a line of `miso tail --json`), keeping its ids', () => {
    const env = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1'], { correlationId: 'wf-9' });
    const r = prepareMessage({ ...env, meta: { topic: 'persistent://t/n/campaign-events', message_id: '1:2:-1:-1' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.envelope).toEqual(env);
    expect(r.topic).toBe('persistent://t/n/campaign-events');
  });

  it('refuses an envelope whose type disagrees with the command line', () => {
    const env = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1']);
    const r = prepareMessage(env, { type: 'campaign.create.command.v1' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/is a campaign\.created\.v1, but the command line says/);
  });

  it('reports payload problems without sending', () => {
    const r = prepareMessage({ name: 'n' }, { type: 'campaign.create.command.v1' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.message)).toEqual(['missing required field "payload.user_id": expected text (string)']);
  });

  it('refuses kinds that are not allowed', () => {
    const r = prepareMessage(SAMPLES['campaign.created.v1'], { type: 'campaign.created.v1', kinds: ['command'] });
    expect(r.ok).toBe(false);
  });
});
