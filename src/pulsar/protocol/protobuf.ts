/**
 * A minimal proto2 codec: just the wire types Pulsar's protocol uses.
 *
 * Wire grammar (https://protobuf.dev/programming-guides/encoding/):
 *   message := (tag value)*
 *   tag     := varint(fieldNumber << 3 | wireType)
 *   wireType 0 = varint, 1 = 64-bit, 2 = length-delimited, 5 = 32-bit
 *
 * Messages are described by plain tables (`MessageDef`) and encoded/decoded by one generic
 * routine, so every Pulsar message we speak is a short declaration in `definitions.ts`.
 * Pure code: no I/O, no timers.
 */
import { MalformedFrameError } from '../errors.js';

export type ScalarType =
  | 'uint32'
  | 'int32'
  | 'enum'
  | 'bool'
  /** 64-bit unsigned as bigint. */
  | 'uint64'
  /** 64-bit signed as bigint (negative values take ten bytes on the wire). */
  | 'int64'
  /** 64-bit on the wire, a JS number in memory: ids and millisecond timestamps (< 2^53). */
  | 'uint64num'
  | 'int64num'
  | 'string'
  | 'bytes';

export interface FieldDef {
  readonly no: number;
  readonly name: string;
  readonly type: ScalarType | 'message';
  readonly message?: () => MessageDef;
  readonly repeated?: boolean;
  readonly required?: boolean;
}

export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
  /** Field lookup by number, built once. */
  readonly byNo: readonly (FieldDef | undefined)[];
}

export function defineMessage(name: string, fields: FieldDef[]): MessageDef {
  const byNo: (FieldDef | undefined)[] = [];
  for (const f of fields) byNo[f.no] = f;
  return { name, fields, byNo };
}

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

function wireTypeOf(t: FieldDef['type']): number {
  switch (t) {
    case 'string':
    case 'bytes':
    case 'message':
      return WIRE_LEN;
    default:
      return WIRE_VARINT;
  }
}

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

type Plain = Record<string, unknown>;

function zeroOf(f: FieldDef): unknown {
  switch (f.type) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'uint64':
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'message':
      return {};
    default:
      return 0;
  }
}

function writeValue(w: ProtoWriter, f: FieldDef, v: unknown): void {
  switch (f.type) {
    case 'uint32':
    case 'enum':
      w.uint32(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'bool':
      w.uint32(v ? 1 : 0);
      return;
    case 'uint64':
    case 'int64':
      w.varint64(v as bigint);
      return;
    case 'uint64num':
    case 'int64num':
      w.uint64num(v as number);
      return;
    case 'string':
      w.string(v as string);
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'message': {
      // Reserve one length byte; most nested messages are short. If the body turns out
      // longer, shift it right to make room for the longer length varint.
      w.ensure(1);
      const lenAt = w.pos;
      w.pos += 1;
      encodeInto(w, f.message!(), v as Plain);
      const len = w.pos - lenAt - 1;
      if (len < 0x80) {
        w.buf[lenAt] = len;
        return;
      }
      const lenBytes = len < 1 << 14 ? 2 : len < 1 << 21 ? 3 : len < 1 << 28 ? 4 : 5;
      w.ensure(lenBytes - 1);
      w.buf.copyWithin(lenAt + lenBytes, lenAt + 1, w.pos);
      const end = w.pos + lenBytes - 1;
      w.pos = lenAt;
      w.uint32(len);
      w.pos = end;
      return;
    }
  }
}

/** Write one (non-repeated) field: tag and value. */
export function writeField(w: ProtoWriter, f: FieldDef, v: unknown): void {
  w.tag(f.no, wireTypeOf(f.type));
  writeValue(w, f, v);
}

/** Encode `obj` as message `def` at the writer's position. Required fields are always written. */
export function encodeInto(w: ProtoWriter, def: MessageDef, obj: Plain): void {
  for (const f of def.fields) {
    let v = obj[f.name];
    if (f.repeated) {
      if (v === undefined) continue;
      for (const item of v as unknown[]) {
        w.tag(f.no, wireTypeOf(f.type));
        writeValue(w, f, item);
      }
      continue;
    }
    if (v === undefined || v === null) {
      if (!f.required) continue;
      v = zeroOf(f);
    }
    w.tag(f.no, wireTypeOf(f.type));
    writeValue(w, f, v);
  }
}

export function encodeMessage(def: MessageDef, obj: Plain): Buffer {
  const w = new ProtoWriter(128);
  encodeInto(w, def, obj);
  return Buffer.from(w.finish());
}

function readScalar(r: ProtoReader, f: FieldDef): unknown {
  switch (f.type) {
    case 'uint32':
    case 'enum':
      return r.uint32();
    case 'int32':
      // Negative int32 arrive as 10-byte varints; the low 32 bits carry the value.
      return r.uint32() | 0;
    case 'bool':
      return r.uint64num() !== 0;
    case 'uint64':
      return r.uint64();
    case 'int64':
      return BigInt.asIntN(64, r.uint64());
    case 'uint64num':
      return r.uint64num();
    case 'int64num': {
      const u = r.uint64();
      return Number(BigInt.asIntN(64, u));
    }
    case 'string': {
      const b = r.bytesView();
      return b.toString('utf8');
    }
    case 'bytes':
      // Copy: callers keep these (schema versions, payload keys) beyond the frame buffer.
      return Buffer.from(r.bytesView());
    default:
      throw new Error('unreachable');
  }
}

/** Decode message `def` from `buf[start, end)`. Unknown fields are skipped; missing required fields are an error. */
export function decodeMessage<T = Plain>(def: MessageDef, buf: Buffer, start = 0, end = buf.length): T {
  const r = new ProtoReader(buf, start, end);
  return decodeFrom(r, def, end) as T;
}

function decodeFrom(r: ProtoReader, def: MessageDef, end: number): Plain {
  const out: Plain = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    const f = def.byNo[no];
    if (f === undefined) {
      r.skip(wire);
      continue;
    }
    const expected = wireTypeOf(f.type);
    if (f.type === 'message') {
      if (wire !== WIRE_LEN) throw new MalformedFrameError(`${def.name}.${f.name} has wire type ${wire}, expected ${WIRE_LEN}`);
      const len = r.uint32();
      const subEnd = r.pos + len;
      if (subEnd > end) throw new MalformedFrameError(`${def.name}.${f.name} runs past the end of its message`);
      const sub = decodeFrom(new ProtoReader(r.buf, r.pos, subEnd), f.message!(), subEnd);
      r.pos = subEnd;
      if (f.repeated) ((out[f.name] as unknown[] | undefined) ?? (out[f.name] = [] as unknown[]) as unknown[]).push(sub);
      else out[f.name] = sub;
      continue;
    }
    if (wire === expected) {
      const v = readScalar(r, f);
      if (f.repeated) ((out[f.name] as unknown[] | undefined) ?? (out[f.name] = [] as unknown[]) as unknown[]).push(v);
      else out[f.name] = v;
      continue;
    }
    if (f.repeated && wire === WIRE_LEN && expected === WIRE_VARINT) {
      // Packed repeated scalars.
      const len = r.uint32();
      const packedEnd = r.pos + len;
      if (packedEnd > end) throw new MalformedFrameError(`${def.name}.${f.name} runs past the end of its message`);
      const list = (out[f.name] as unknown[] | undefined) ?? [];
      const pr = new ProtoReader(r.buf, r.pos, packedEnd);
      while (pr.pos < packedEnd) list.push(readScalar(pr, f));
      out[f.name] = list;
      r.pos = packedEnd;
      continue;
    }
    throw new MalformedFrameError(`${def.name}.${f.name} has wire type ${wire}, expected ${expected}`);
  }
  for (const f of def.fields) {
    if (f.required && out[f.name] === undefined) {
      throw new MalformedFrameError(`${def.name} is missing required field ${f.name}`);
    }
  }
  return out;
}
