/**
 * Decompression of message payloads written by producers that compress (Pulsar's
 * CompressionType): ZLIB and ZSTD through node:zlib, LZ4 (raw block format) and Snappy
 * (raw format) decoded here. miso's own producer does not compress.
 *
 *   LZ4 block:  sequences of [token][literal length+][literals][offset u16le][match length+]
 *               (token: high nibble literal length, low nibble match length - 4; 15 means
 *               "more bytes follow", each adding up to 255)
 *   Snappy:     varint uncompressed length, then elements tagged by their low two bits:
 *               0 literal, 1 copy (1-byte offset), 2 copy (2-byte offset), 3 copy (4-byte offset)
 */
import zlib from 'node:zlib';
import { MalformedFrameError } from '../errors.js';
import { CompressionType } from './definitions.js';

export function compressionName(code: number): string {
  const found = Object.entries(CompressionType).find(([, v]) => v === code);
  return found ? found[0] : `type ${code}`;
}

/** Decompress `data` to exactly `size` bytes; throws MalformedFrameError on corrupt input. */
export function decompress(type: number, data: Uint8Array, size: number): Buffer {
  let out: Buffer;
  try {
    switch (type) {
      case CompressionType.NONE:
        return Buffer.from(data);
      case CompressionType.ZLIB:
        out = zlib.inflateSync(data);
        break;
      case CompressionType.ZSTD:
        out = zlib.zstdDecompressSync(data);
        break;
      case CompressionType.LZ4:
        out = lz4BlockDecode(data, size);
        break;
      case CompressionType.SNAPPY:
        out = snappyDecode(data);
        break;
      default:
        throw new MalformedFrameError(`unsupported compression ${compressionName(type)}`);
    }
  } catch (err) {
    if (err instanceof MalformedFrameError) throw err;
    throw new MalformedFrameError(`cannot decompress a ${compressionName(type)} payload: ${(err as Error).message}`);
  }
  if (out.length !== size) throw new MalformedFrameError(`${compressionName(type)} payload decompressed to ${out.length} bytes, expected ${size}`);
  return out;
}

function corrupt(what: string): never {
  throw new MalformedFrameError(`corrupt compressed payload: ${what}`);
}

export function lz4BlockDecode(src: Uint8Array, size: number): Buffer {
  const dst = Buffer.allocUnsafe(size);
  let ip = 0;
  let op = 0;
  const end = src.length;
  while (ip < end) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) corrupt('literal length runs past the input');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end || op + lit > size) corrupt('literals run past the buffer');
    dst.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip >= end) break; // the last sequence has literals only
    if (ip + 2 > end) corrupt('match offset runs past the input');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) corrupt('match offset points before the output');
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) corrupt('match length runs past the input');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (op + len > size) corrupt('match runs past the output');
    // Byte by byte: a match may overlap the bytes it produces.
    for (let i = 0; i < len; i++, op++) dst[op] = dst[op - offset]!;
  }
  if (op !== size) corrupt(`decoded ${op} of ${size} bytes`);
  return dst;
}

export function snappyDecode(src: Uint8Array): Buffer {
  let ip = 0;
  // Preamble: uncompressed length as a varint.
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    if (ip >= src.length || shift > 28) corrupt('bad length preamble');
    const b = src[ip++]!;
    size += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  const dst = Buffer.allocUnsafe(size);
  let op = 0;
  while (ip < src.length) {
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const n = len - 59;
        if (ip + n > src.length) corrupt('literal length runs past the input');
        len = 0;
        for (let i = 0; i < n; i++) len |= src[ip + i]! << (8 * i);
        len >>>= 0;
        ip += n;
      }
      len += 1;
      if (ip + len > src.length || op + len > size) corrupt('literal runs past the buffer');
      dst.set(src.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > src.length) corrupt('copy runs past the input');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > src.length) corrupt('copy runs past the input');
      len = (tag >>> 2) + 1;
      offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > src.length) corrupt('copy runs past the input');
      len = (tag >>> 2) + 1;
      offset = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op || op + len > size) corrupt('copy points outside the output');
    for (let i = 0; i < len; i++, op++) dst[op] = dst[op - offset]!;
  }
  if (op !== size) corrupt(`decoded ${op} of ${size} bytes`);
  return dst;
}
