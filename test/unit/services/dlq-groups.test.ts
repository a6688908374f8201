import { describe, expect, it } from 'vitest';
import { findGroup, groupDeadLetters, normaliseError, schemaVersionOf, type Groupable } from '../../../src/core/dlq/groups.js';

const v = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const letter = (id: string, at: number, lastError: string, o: Partial<Groupable> = {}): Groupable => ({
  id,
  service: 'payment',
  deadLetteredAt: at,
  lastError,
  envelope: { type: 'payment.process.command.v1' },
  properties: {},
  raw: { schemaVersion: v(0) },
  replayed: [],
  ...o,
});

describe('dead-letter fingerprints', () => {
  it('strips ids, message ids, times, quoted values and numbers from the error', () => {
    expect(normaliseError('payment 5f1c2a3e-0b1c-4d2e-8f90-123456789abc failed 4 times at 2026-11-30T07:59:01.123Z')).toBe(
      'payment <id> failed <n> times at <time>',
    );
    expect(normaliseError("campaign 'c-123' not found (message 12:7:-1:-1, trace 4bf92f3577b34da6)")).toBe(
      'campaign <value> not found (message <id>, trace <id>)',
    );
    expect(normaliseError('amount 1999 over limit 1000')).toBe('amount <n> over limit <n>');
  });

  it('groups by service, type, schema version and the normalised error; counts, first and last seen, example', () => {
    const letters = [
      letter('1:1:-1:-1', 100, 'failed 4 times; last error: payout 5f1c2a3e-0b1c-4d2e-8f90-123456789abc refused'),
      letter('1:2:-1:-1', 300, 'failed 4 times; last error: payout 9a9c2a3e-0b1c-4d2e-8f90-123456789abc refused', { replayed: [{}] }),
      letter('1:3:-1:-1', 200, 'failed 4 times; last error: payout 5f1c2a3e-0b1c-4d2e-8f90-123456789abc refused', { raw: { schemaVersion: v(1) } }),
      letter('1:4:-1:-1', 150, 'failed 4 times; last error: payout 5f1c2a3e-0b1c-4d2e-8f90-123456789abc refused', {
        service: 'commission',
        envelope: { type: 'commission.calculate.command.v1' },
      }),
    ];
    const groups = groupDeadLetters(letters);
    expect(groups).toHaveLength(3);
    const [big] = groups;
    expect(big).toMatchObject({
      count: 2,
      replayed: 1,
      firstSeen: 100,
      lastSeen: 300,
      schemaVersion: '0',
      error: 'failed <n> times; last error: payout <id> refused',
    });
    expect(big!.example.id).toBe('1:2:-1:-1');
    expect(groups.find((g) => g.schemaVersion === '1')!.letters.map((d) => d.id)).toEqual(['1:3:-1:-1']);
    expect(findGroup(groups, big!.id.slice(0, 5))).toBe(big);
    expect(findGroup(groups, 'zzzz')).toBeUndefined();
    expect(schemaVersionOf(undefined)).toBe('none');
  });
});
