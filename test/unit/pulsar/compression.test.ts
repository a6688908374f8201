import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MalformedFrameError } from '../../../src/pulsar/errors.js';
import { decompress, lz4BlockDecode, snappyDecode } from '../../../src/pulsar/protocol/compression.js';
import { CompressionType } from '../../../src/pulsar/protocol/definitions.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('LZ4 block decoding', () => {
  it('decodes literals only', () => {
    // token 0x50: 5 literals, no match (last sequence)
    expect(lz4BlockDecode(Buffer.concat([hex('50'), Buffer.from('hello')]), 5).toString()).toBe('hello');
  });

  it('decodes an overlapping match', () => {
    // token 0x35: 3 literals "abc", match length 5+4 = 9 at offset 3 → "abcabcabcabc"
    expect(lz4BlockDecode(Buffer.concat([hex('35'), Buffer.from('abc'), hex('0300')]), 12).toString()).toBe('abcabcabcabc');
  });

  it('decodes extended literal and match lengths', () => {
    // 20 literals: token high nibble 15, extra byte 5; then match of 4+15+3 = 22 bytes at offset 1
    const lits = Buffer.alloc(20, 0x78);
    const src = Buffer.concat([hex('ff 05'), lits, hex('0100 03')]);
    expect(lz4BlockDecode(src, 42).toString()).toBe('x'.repeat(42));
  });

  it('refuses corrupt input', () => {
    expect(() => lz4BlockDecode(hex('35 616263 0500'), 12)).toThrow(MalformedFrameError); // offset beyond output
    expect(() => lz4BlockDecode(hex('f0'), 20)).toThrow(MalformedFrameError); // truncated length
    expect(() => lz4BlockDecode(Buffer.concat([hex('50'), Buffer.from('hello')]), 6)).toThrow(/5 of 6/);
  });
});

describe('Snappy decoding', () => {
  it('decodes a literal and a 1-byte-offset copy', () => {
    // length 12; literal "abc" (tag 0x08); copy len 9 offset 3 (tag 0x15, 0x03)
    expect(snappyDecode(Buffer.concat([hex('0c 08'), Buffer.from('abc'), hex('15 03')])).toString()).toBe('abcabcabcabc');
  });

  it('decodes a 2-byte-offset copy and a long literal', () => {
    const lit = Buffer.alloc(70, 0x7a);
    // literal of 70: tag 60<<2 = 0xf0, one length byte 69; copy len 10 offset 70: tag (9<<2)|2 = 0x26, 46 00
    const src = Buffer.concat([hex('50'), hex('f0 45'), lit, hex('26 4600')]);
    expect(snappyDecode(src).toString()).toBe('z'.repeat(80));
  });

  it('refuses corrupt input', () => {
    expect(() => snappyDecode(hex('0c 08 616263 15 09'))).toThrow(MalformedFrameError);
    expect(() => snappyDecode(hex('ff'))).toThrow(MalformedFrameError);
  });
});

describe('decompress', () => {
  const text = Buffer.from('the same words again and again and again and again');
  it('inflates ZLIB and ZSTD payloads', () => {
    expect(decompress(CompressionType.ZLIB, zlib.deflateSync(text), text.length)).toEqual(text);
    expect(decompress(CompressionType.ZSTD, zlib.zstdCompressSync(text), text.length)).toEqual(text);
    expect(decompress(CompressionType.NONE, text, text.length)).toEqual(text);
  });

  it('reports garbage, a wrong size and unknown types as malformed', () => {
    expect(() => decompress(CompressionType.ZLIB, Buffer.from('not zlib'), 8)).toThrow(/cannot decompress a ZLIB payload/);
    expect(() => decompress(CompressionType.ZLIB, zlib.deflateSync(text), text.length + 1)).toThrow(/expected/);
    expect(() => decompress(9, text, text.length)).toThrow(/unsupported compression/);
  });
});
