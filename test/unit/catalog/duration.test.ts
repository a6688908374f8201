import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/core/read/duration.js';
import { UsageError } from '../../../src/errors.js';

describe('parseDuration (every --since and --timeout)', () => {
  it('reads single units', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('10min')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('reads combinations, with or without spaces', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
    expect(parseDuration(' 2d12h ')).toBe(216_000_000);
    expect(parseDuration('1m500ms')).toBe(60_500);
  });

  it('refuses what is not a duration, naming the flag', () => {
    for (const bad of ['', '10', 'yesterday', '10 minutes', '1h30', 'h', '-5m', '1y']) {
      expect(() => parseDuration(bad), bad).toThrow(UsageError);
    }
    expect(() => parseDuration('soon', '--timeout')).toThrow('--timeout "soon" is not a duration');
  });
});
