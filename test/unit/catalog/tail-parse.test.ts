import { describe, it, expect } from 'vitest';
import { parseStart, parseWhere, matchesWhere, tailSources } from '../../../src/core/tail.js';
import { newEnvelope } from '../../../src/core/catalog/index.js';
import { UsageError } from '../../../src/errors.js';
import { SAMPLES } from './samples.js';

const scope = { tenant: 't', namespace: 'ns' };

describe('time windows', () => {
  it('turns --since / --from into a reader start', () => {
    expect(parseStart({ since: '10m' }, 1_000_000, 'latest')).toEqual({ publishTime: 400_000 });
    expect(parseStart({ from: 'earliest' }, 0, 'latest')).toBe('earliest');
    expect(parseStart({ from: '2025-06-01T12:00:00Z' }, 0, 'latest')).toEqual({ publishTime: Date.UTC(2025, 5, 1, 12) });
    expect(parseStart({}, 0, 'latest')).toBe('latest');
    expect(() => parseStart({ from: 'yesterday' }, 0, 'latest')).toThrow(/is not earliest, latest or a time/);
    expect(() => parseStart({ from: 'earliest', since: '1m' }, 0, 'latest')).toThrow(/not both/);
  });
});

describe('--where', () => {
  it('matches payload fields by dot path, and envelope fields by name', () => {
    const env = newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1'], { correlationId: 'wf-1' });
    expect(matchesWhere(env, parseWhere(['status=paid']))).toBe(true);
    expect(matchesWhere(env, parseWhere(['payload.status=failed']))).toBe(false);
    expect(matchesWhere(env, parseWhere(['amount_minor=1300', 'currency=USD']))).toBe(true);
    expect(matchesWhere(env, parseWhere(['failure_reason=null']))).toBe(true);
    expect(matchesWhere(env, parseWhere(['correlation_id=wf-1']))).toBe(true);
    expect(matchesWhere(env, parseWhere(['no_such=1']))).toBe(false);
    expect(() => parseWhere(['status'])).toThrow(/is not field=value/);
  });
});

describe('what tail reads', () => {
  it('reads the event topics by default, with command and dead-letter topics on request', () => {
    expect(tailSources(scope, {}).sources.map((s) => s.topic)).toEqual(
      ['campaign', 'tracking', 'commission', 'payment'].map((s) => `persistent://t/ns/${s}-events`),
    );
    const all = tailSources(scope, { commands: true, dlq: true }).sources;
    expect(all).toHaveLength(12);
    const dlq = all.find((s) => s.topic === 'persistent://t/ns/payment-commands-payment-service-DLQ')!;
    expect(dlq).toMatchObject({ deadLetter: true, decodeAs: 'payment-commands', optional: true });
  });

  it('reads the topic of a named type and filters on it, or a named topic', () => {
    const r = tailSources(scope, { targets: ['payment.processed'] });
    expect(r.sources.map((s) => s.topic)).toEqual(['persistent://t/ns/payment-events']);
    expect([...r.types!]).toEqual(['payment.processed.v1']);
    const t = tailSources(scope, { targets: ['campaign-commands', 'persistent://other/ns/tracking-events'] });
    expect(t.sources.map((s) => [s.topic, s.decodeAs])).toEqual([
      ['persistent://t/ns/campaign-commands', 'campaign-commands'],
      ['persistent://other/ns/tracking-events', 'tracking-events'],
    ]);
    expect(t.types).toBeUndefined();
    let err: UsageError | undefined;
    try {
      tailSources(scope, { targets: ['paymnt.processed'] });
    } catch (e) {
      err = e as UsageError;
    }
    expect(err?.message).toBe('unknown message type "paymnt.processed"');
    expect(err?.hint).toMatch(/Did you mean "payment.processed"\?/);
  });
});
