import { describe, expect, it } from 'vitest';
import { decodeJwtClaims, humanDuration } from '../../../src/core/doctor.js';
import { describeRetention, initTopicShortNames } from '../../../src/core/init.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('doctor helpers', () => {
  it('reads JWT claims without verifying, and refuses what is not a JWT', () => {
    expect(decodeJwtClaims(`${b64({ alg: 'HS256' })}.${b64({ sub: 'admin', exp: 1700000000 })}.sig`)).toEqual({ sub: 'admin', exp: 1700000000 });
    expect(decodeJwtClaims('not-a-token')).toBeUndefined();
    expect(decodeJwtClaims('a.!!!.c')).toBeUndefined();
    expect(decodeJwtClaims(`x.${b64([1, 2])}.y`)).toBeUndefined();
  });

  it('says durations the short way', () => {
    expect(humanDuration(3 * 86_400_000)).toBe('3 d');
    expect(humanDuration(5 * 3_600_000)).toBe('5 h');
    expect(humanDuration(-12 * 60_000)).toBe('12 min');
    expect(humanDuration(40_000)).toBe('40 s');
  });

  it('describes retention and lists the topics init creates', () => {
    expect(describeRetention({ retentionTimeInMinutes: 10080, retentionSizeInMB: 1024 })).toBe('7 d, 1024 MB');
    expect(describeRetention({ retentionTimeInMinutes: -1, retentionSizeInMB: -1 })).toBe('forever, unlimited');
    expect(describeRetention({ retentionTimeInMinutes: 45, retentionSizeInMB: 0 })).toBe('45 min, 0 MB');
    expect(describeRetention(undefined)).toBe('broker default');
    expect(initTopicShortNames()).toHaveLength(12);
  });
});

describe('token signing', () => {
  it('matches the well-known HS256 example token', async () => {
    const { signToken } = await import('../../../src/broker/secure.js');
    const token = signToken(Buffer.from('your-256-bit-secret'), { sub: '1234567890', name: 'John Doe', iat: 1516239022 });
    expect(token).toBe(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    );
    expect(decodeJwtClaims(token)).toEqual({ sub: '1234567890', name: 'John Doe', iat: 1516239022 });
  });

  it('writes broker.conf lines one per setting', async () => {
    const { confLines } = await import('../../../src/broker/secure.js');
    expect(confLines({ a: '1', b: 'file:///x' })).toBe('a=1\nb=file:///x\n');
  });
});
