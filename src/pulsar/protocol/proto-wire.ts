/**
 * Protobuf wire primitives: a writer that appends tags, varints, fixed and length-delimited
 * values to a growable buffer, and a reader that takes them back with bounds checks. The
 * table-driven message codec on top of them is ./protobuf.ts; hot paths (frames, batch
 * entries) use these directly.
 *
 * Pure code: no I/O, no timers.
 */
import { MalformedFrameError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_64 = 1;
export const WIRE_LEN = 2;
export const WIRE_32 = 5;

const TWO_32 = 4294967296;

/** Appends protobuf values to a growable buffer. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned 32-bit varint (also used for tags and lengths). */
  uint32(v: number): void {
    this.ensure(5);
    v >>>= 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** Signed 32-bit varint: negatives are sign-extended to 64 bits (ten bytes), as proto2 does. */
  int32(v: number): void {
    if (v >= 0) this.uint32(v);
    else this.varint64(BigInt.asUintN(64, BigInt(v)));
  }

  /** Any 64-bit value as varint; negatives are written as their two's complement. */
  varint64(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    if (u < 0x100000000n) {
      this.uint32(Number(u));
      return;
    }
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** A non-negative safe integer as varint without going through bigint. */
  uint64num(v: number): void {
    if (v < 0) {
      this.varint64(BigInt(Math.trunc(v)));
      return;
    }
    if (v < TWO_32) {
      this.uint32(v);
      return;
    }
    this.ensure(10);
    // Split into 7-bit groups with arithmetic, not bit ops (which truncate to 32 bits).
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  tag(no: number, wire: number): void {
    this.uint32((no << 3) | wire);
  }

  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    // Strings in the protocol are short; measure once, write in place.
    const len = Buffer.byteLength(s, 'utf8');
    this.uint32(len);
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  /** Bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Reads protobuf values from a buffer slice; every read is bounds-checked. */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  private truncated(what: string): never {
    throw new MalformedFrameError(`protobuf ${what} runs past the end of its message`);
  }

  uint32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      const b = this.buf[this.pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new MalformedFrameError('protobuf varint is longer than 10 bytes');
  }

  /** Varint as a JS number (exact below 2^53). */
  uint64num(): number {
    let lo = 0;
    let hi: number;
    let b: number;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      b = this.buf[this.pos++]!;
      lo |= (b & 0x7f) << (i * 7);
      if ((b & 0x80) === 0) return lo >>> 0;
    }
    if (this.pos >= this.end) this.truncated('varint');
    b = this.buf[this.pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if ((b & 0x80) === 0) return hi * TWO_32 + (lo >>> 0);
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      b = this.buf[this.pos++]!;
      hi |= (b & 0x7f) << (i * 7 + 3);
      if ((b & 0x80) === 0) return (hi >>> 0) * TWO_32 + (lo >>> 0);
    }
    throw new MalformedFrameError('protobuf varint is longer than 10 bytes');
  }

  /** Varint as an unsigned 64-bit bigint. */
  uint64(): bigint {
    // Fast path: values that fit in 7 varint bytes (49 bits) are exact as numbers.
    const start = this.pos;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return BigInt(n);
      mul *= 128;
    }
    this.pos = start;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new MalformedFrameError('protobuf varint is longer than 10 bytes');
  }

  bytesView(): Buffer {
    const len = this.uint32();
    if (this.pos + len > this.end) this.truncated('length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.uint64num();
        return;
      case WIRE_64:
        if (this.pos + 8 > this.end) this.truncated('fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN: {
        // Skipped without making a view of the bytes (this runs per property on the consume path).
        const len = this.uint32();
        if (this.pos + len > this.end) this.truncated('length-delimited field');
        this.pos += len;
        return;
      }
      case WIRE_32:
        if (this.pos + 4 > this.end) this.truncated('fixed32');
        this.pos += 4;
        return;
      default:
        throw new MalformedFrameError(`protobuf wire type ${wire} is not supported`);
    }
  }
}
