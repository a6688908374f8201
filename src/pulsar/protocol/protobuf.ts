/**
 * A minimal proto2 codec: just the wire types Pulsar's protocol uses.
 *
 * Wire grammar (https://protobuf.dev/programming-guides/encoding/):
 *   message := (tag value)*
 *   tag     := varint(fieldNumber << 3 | wireType)
 *   wireType 0 = varint, 1 = 64-bit, 2 = length-delimited, 5 = 32-bit
 *
 * The wire primitives (ProtoWriter/ProtoReader) are in ./proto-wire.ts.
 * Messages are described by plain tables (`MessageDef`) and encoded/decoded by one generic
 * routine, so every Pulsar message we speak is a short declaration in `definitions.ts`.
 * Pure code: no I/O, no timers.
 */
import { MalformedFrameError } from '../errors.js';
import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from './proto-wire.js';

export { ProtoReader, ProtoWriter } from './proto-wire.js';

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
      if (f.repeated) ((out[f.name] as unknown[] | undefined) ?? ((out[f.name] = [] as unknown[]) as unknown[])).push(sub);
      else out[f.name] = sub;
      continue;
    }
    if (wire === expected) {
      const v = readScalar(r, f);
      if (f.repeated) ((out[f.name] as unknown[] | undefined) ?? ((out[f.name] = [] as unknown[]) as unknown[])).push(v);
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
