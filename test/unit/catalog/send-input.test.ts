import { describe, it, expect } from 'vitest';
import { fieldTokensOf, prepareBatch, newEnvelope } from '../../../src/core/catalog/index.js';
import { UsageError } from '../../../src/errors.js';
import { SAMPLES } from './samples.js';

const known = new Map<string, boolean>([
  ['data', true],
  ['file', true],
  ['wait', false],
  ['timeout', true],
  ['count', true],
  ['json', false],
  ['tenant', true],
  ['verbose', false],
]);
const chars = new Map<string, boolean>([['v', false]]);

describe('fieldTokensOf (payload fields among the command line)', () => {
  it('separates the type, the command flags and the payload fields', () => {
    const r = fieldTokensOf(
      ['campaign.create', '--name', 'My Campaign', '--wait', '--user-id=u1', '--timeout', '5s', '-v', '--tenant', 't', '--budget-minor', '-5'],
      known,
      chars,
    );
    expect(r.type).toBe('campaign.create');
    expect(r.tokens).toEqual(['--name', 'My Campaign', '--user-id=u1', '--budget-minor', '-5']);
  });

  it('keeps --no-<flag> of a boolean flag as the flag', () => {
    expect(fieldTokensOf(['t', '--no-wait', '--name', 'x'], known).tokens).toEqual(['--name', 'x']);
  });

  it('passes stray words on so they can be refused', () => {
    expect(fieldTokensOf(['t', 'oops'], known).tokens).toEqual(['oops']);
  });
});

describe('prepareBatch', () => {
  it('builds one message from field flags', () => {
    const b = prepareBatch({ type: 'campaign.create.command.v1', fieldTokens: ['--name', 'My Campaign', '--user-id', 'user123'] });
    expect(b.errors).toEqual([]);
    expect(b.messages).toHaveLength(1);
    expect(b.messages[0]!.envelope.payload).toMatchObject({ name: 'My Campaign', user_id: 'user123', currency: 'USD' });
  });

  it('sends N copies with fresh ids each (--count)', () => {
    const b = prepareBatch({ type: 'campaign.create.command.v1', fieldTokens: ['--name', 'n', '--user-id', 'u'], count: 3 });
    const ids = b.messages.map((m) => m.envelope.id);
    const campaigns = b.messages.map((m) => (m.envelope.payload as { campaign_id: string }).campaign_id);
    expect(new Set(ids).size).toBe(3);
    expect(new Set(campaigns).size).toBe(3);
  });

  it('reports every bad NDJSON line by number and keeps the good ones', () => {
    const text = [
      JSON.stringify({ name: 'a', user_id: 'u' }),
      '{"name": "b", "user_id": ',
      JSON.stringify({ name: 'c' }),
      '',
      JSON.stringify({ name: 'd', user_id: 'u' }),
    ].join('\n');
    const b = prepareBatch({ type: 'campaign.create.command.v1', jsonText: text, jsonSource: 'stdin' });
    expect(b.messages.map((m) => m.line)).toEqual([1, 5]);
    expect(b.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(b.errors[0]!.message).toMatch(/^line 2 is not valid JSON/);
    expect(b.errors[1]!.message).toBe('line 3: missing required field "payload.user_id": expected text (string)');
  });

  it('replays envelopes printed by `miso tail --json` without a type argument', () => {
    const env = newEnvelope('video.added.v1', SAMPLES['video.added.v1'], { correlationId: 'wf-7' });
    const b = prepareBatch({ jsonText: JSON.stringify({ ...env, meta: { topic: 'persistent://t/n/campaign-events' } }) + '\n' });
    expect(b.errors).toEqual([]);
    expect(b.messages[0]!.envelope).toEqual(env);
  });

  it('needs a type for a bare payload, refuses flags mixed with JSON, and one --id for many', () => {
    expect(prepareBatch({ jsonText: '{"name":"x"}' }).errors[0]!.message).toMatch(/no message type/);
    expect(() => prepareBatch({ type: 'campaign.create.command.v1', fieldTokens: ['--name', 'x'], jsonText: '{}' })).toThrow(UsageError);
    expect(() =>
      prepareBatch({
        type: 'campaign.create.command.v1',
        fieldTokens: ['--name', 'x', '--user-id', 'u'],
        count: 2,
        id: '0d9c8a7b-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
      }),
    ).toThrow(/--id names one message/);
    expect(() => prepareBatch({ fieldTokens: ['--name', 'x'] })).toThrow(/which message type/);
  });

  it('reports flag problems as line 0 with no message prepared', () => {
    const b = prepareBatch({ type: 'payment.process.command.v1', fieldTokens: ['--amount-minor', 'ten'] });
    expect(b.messages).toEqual([]);
    expect(b.errors).toEqual([{ line: 0, message: '--amount-minor must be a whole number (long), got "ten"' }]);
  });

  it('says when the input holds nothing', () => {
    expect(prepareBatch({ type: 'campaign.create.command.v1', jsonText: '\n\n', jsonSource: 'f.json' }).errors[0]!.message).toBe('f.json: the input is empty');
  });
});
