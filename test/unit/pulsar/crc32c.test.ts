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

  it('agrees with a bit-by-bit reference at every length and alignment (word and byte steps)', () => {
    const reference = (d: Uint8Array): number => {
      let c = 0xffffffff;
      for (const b of d) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff));
    for (let start = 0; start < 4; start++) {
      for (let len = 0; len <= 80; len++) expect(crc32c(data, 0, start, start + len)).toBe(reference(data.subarray(start, start + len)));
      expect(crc32c(data, 0, start, data.length)).toBe(reference(data.subarray(start)));
    }
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
