import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/pulsar/protocol/crc32c.js';

describe('crc32c', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('is 0 for no bytes', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('can be continued over chunks and honours start/end', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
    const whole = crc32c(data);
    for (const cut of [1, 7, 8, 9, 17, data.length - 1]) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
      expect(crc32c(data, crc32c(data, 0, 0, cut), cut, data.length)).toBe(whole);
    }
  });
});
