/**
 * Batch payloads: the run of [singleMetadataSize u32][SingleMessageMetadata][message payload]
 * entries inside one message of a payload frame. Written by the producer for each batch and
 * read by the consumer for each batched message, so both directions are hand-written for
 * the hot path; the frame around them is in ./frame.ts.
 *
 * Pure code: bytes in, plain objects out.
 */
import { MalformedFrameError } from '../errors.js';
import type { SingleMessageMetadata } from './definitions.js';
import { ProtoReader, ProtoWriter } from './protobuf.js';

/** One message of a batch, as the producer holds it. */
export interface BatchMessage {
  payload: Uint8Array;
  sequenceId?: number;
  key?: string;
  properties?: Record<string, string>;
  eventTime?: number;
}

/** A batch entry as read back: its SingleMessageMetadata and a view of its payload. */
export interface BatchEntry {
  metadata: SingleMessageMetadata;
  payload: Uint8Array;
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * Write [size u32][SingleMessageMetadata][payload] per message. The metadata is written by
 * hand (fields 1 properties, 2 partition_key, 3 payload_size, 5 event_time, 8 sequence_id):
 * this runs once per message on the hot path of batched publishing.
 */
export function writeBatchEntries(w: ProtoWriter, entries: readonly BatchMessage[]): void {
  for (const e of entries) {
    w.ensure(4);
    const sizeAt = w.pos;
    w.pos += 4;
    const props = e.properties;
    if (props) {
      for (const k in props) {
        const v = props[k]!;
        const kl = Buffer.byteLength(k, 'utf8');
        const vl = Buffer.byteLength(v, 'utf8');
        w.tag(1, 2);
        w.uint32(2 + varintSize(kl) + kl + varintSize(vl) + vl);
        w.tag(1, 2);
        w.string(k);
        w.tag(2, 2);
        w.string(v);
      }
    }
    if (e.key !== undefined) {
      w.tag(2, 2);
      w.string(e.key);
    }
    w.tag(3, 0);
    w.uint32(e.payload.length);
    if (e.eventTime !== undefined && e.eventTime > 0) {
      w.tag(5, 0);
      w.uint64num(e.eventTime);
    }
    if (e.sequenceId !== undefined) {
      w.tag(8, 0);
      w.uint64num(e.sequenceId);
    }
    w.buf.writeUInt32BE(w.pos - sizeAt - 4, sizeAt);
    w.ensure(e.payload.length);
    w.buf.set(e.payload, w.pos);
    w.pos += e.payload.length;
  }
}

export function batchSizeEstimate(entries: readonly BatchMessage[]): number {
  let n = 0;
  for (const e of entries) n += e.payload.length + 24 + (e.key === undefined ? 0 : e.key.length * 3);
  return n;
}

/** The batch payload alone (tests and tools; the producer uses `encodeBatchFrame`). */
export function encodeBatchPayload(entries: readonly BatchMessage[]): Buffer {
  const w = new ProtoWriter(batchSizeEstimate(entries) + 16);
  writeBatchEntries(w, entries);
  return w.buf.subarray(0, w.pos);
}

/**
 * SingleMessageMetadata, decoded by hand: it is read once per batched message on the
 * consume path. Unknown fields are skipped like the generic decoder does.
 */
export function decodeSingleMessageMetadata(buf: Buffer, start: number, end: number): SingleMessageMetadata {
  const r = new ProtoReader(buf, start, end);
  const out: SingleMessageMetadata = { payload_size: -1 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: {
        // KeyValue{1 key, 2 value}
        const len = r.uint32();
        const kvEnd = r.pos + len;
        if (kvEnd > end) throw new MalformedFrameError('SingleMessageMetadata.properties runs past the end of its message');
        let key: string | undefined;
        let value: string | undefined;
        const kr = new ProtoReader(buf, r.pos, kvEnd);
        while (kr.pos < kvEnd) {
          const t = kr.uint32();
          if (t === 0x0a) key = kr.bytesView().toString('utf8');
          else if (t === 0x12) value = kr.bytesView().toString('utf8');
          else kr.skip(t & 7);
        }
        if (key === undefined || value === undefined) throw new MalformedFrameError('KeyValue is missing its key or value');
        (out.properties ??= []).push({ key, value });
        r.pos = kvEnd;
        break;
      }
      case 0x12:
        out.partition_key = r.bytesView().toString('utf8');
        break;
      case 0x18:
        out.payload_size = r.uint32() | 0;
        break;
      case 0x20:
        out.compacted_out = r.uint64num() !== 0;
        break;
      case 0x28:
        out.event_time = r.uint64num();
        break;
      case 0x30:
        out.partition_key_b64_encoded = r.uint64num() !== 0;
        break;
      case 0x3a:
        out.ordering_key = Buffer.from(r.bytesView());
        break;
      case 0x40:
        out.sequence_id = r.uint64();
        break;
      case 0x48:
        out.null_value = r.uint64num() !== 0;
        break;
      case 0x50:
        out.null_partition_key = r.uint64num() !== 0;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (out.payload_size < 0) throw new MalformedFrameError('SingleMessageMetadata is missing required field payload_size');
  return out;
}

/** Split a batch payload into its `count` entries. Payload views share the input buffer. */
export function decodeBatchPayload(payload: Buffer, count: number): BatchEntry[] {
  const out: BatchEntry[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > payload.length) throw new MalformedFrameError(`batch entry ${i} of ${count} is truncated`);
    const metaSize = payload.readUInt32BE(pos);
    pos += 4;
    if (pos + metaSize > payload.length) throw new MalformedFrameError(`batch entry ${i} metadata runs past the batch`);
    const metadata = decodeSingleMessageMetadata(payload, pos, pos + metaSize);
    pos += metaSize;
    const size = metadata.payload_size;
    if (size < 0 || pos + size > payload.length) throw new MalformedFrameError(`batch entry ${i} payload runs past the batch`);
    out.push({ metadata, payload: payload.subarray(pos, pos + size) });
    pos += size;
  }
  return out;
}

/**
 * A batch entry as the consumer reads it: the fields it needs up front, and where the
 * entry's SingleMessageMetadata sits so its properties can be decoded only when asked
 * (`decodeEntryProperties`); most readers never look at them.
 */
export interface BatchEntryView {
  payload: Buffer;
  /** The SingleMessageMetadata bytes: [metaStart, metaEnd) of the batch payload. */
  metaStart: number;
  metaEnd: number;
  hasProperties: boolean;
  partitionKey: string | undefined;
  eventTime: number | undefined;
  sequenceId: bigint | undefined;
  compactedOut: boolean;
}

/**
 * Reads a batch payload entry by entry into its own fields (one object per batch, not per
 * entry), without decoding properties: `next()` moves to the following entry and checks it,
 * properties included, so a bad entry still fails the batch. Payloads are views into the
 * batch; strings are read straight from it.
 */
export class BatchEntryCursor implements BatchEntryView {
  payload: Buffer;
  metaStart = 0;
  metaEnd = 0;
  hasProperties = false;
  partitionKey: string | undefined = undefined;
  eventTime: number | undefined = undefined;
  sequenceId: bigint | undefined = undefined;
  compactedOut = false;
  /** Index of the current entry (-1 before the first `next()`). */
  index = -1;
  private readonly r: ProtoReader;

  constructor(
    private readonly batch: Buffer,
    private readonly count: number,
  ) {
    this.payload = batch.subarray(0, 0);
    this.r = new ProtoReader(batch, 0, batch.length);
  }

  next(): boolean {
    const i = this.index + 1;
    if (i >= this.count) return false;
    this.index = i;
    const batch = this.batch;
    const len = batch.length;
    const r = this.r;
    let pos = r.pos;
    if (pos + 4 > len) throw new MalformedFrameError(`batch entry ${i} of ${this.count} is truncated`);
    const metaSize = batch.readUInt32BE(pos);
    pos += 4;
    const end = pos + metaSize;
    if (end > len) throw new MalformedFrameError(`batch entry ${i} metadata runs past the batch`);
    this.metaStart = pos;
    this.metaEnd = end;
    this.hasProperties = false;
    this.partitionKey = undefined;
    this.eventTime = undefined;
    this.sequenceId = undefined;
    this.compactedOut = false;
    let size = -1;
    r.pos = pos;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a: {
          // Checked here, decoded on demand.
          const kvEnd = r.uint32() + r.pos;
          if (kvEnd > end) throw new MalformedFrameError('SingleMessageMetadata.properties runs past the end of its message');
          let fields = 0;
          while (r.pos < kvEnd) {
            const t = r.uint32();
            if (t === 0x0a) fields |= 1;
            else if (t === 0x12) fields |= 2;
            r.skip(t & 7);
          }
          if (r.pos !== kvEnd) throw new MalformedFrameError('KeyValue runs past its end');
          if (fields !== 3) throw new MalformedFrameError('KeyValue is missing its key or value');
          this.hasProperties = true;
          break;
        }
        case 0x12: {
          const l = r.uint32();
          if (r.pos + l > end) throw new MalformedFrameError('SingleMessageMetadata.partition_key runs past the end of its message');
          this.partitionKey = batch.toString('utf8', r.pos, r.pos + l);
          r.pos += l;
          break;
        }
        case 0x18:
          size = r.uint32() | 0;
          break;
        case 0x20:
          this.compactedOut = r.uint64num() !== 0;
          break;
        case 0x28:
          this.eventTime = r.uint64num();
          break;
        case 0x40:
          this.sequenceId = r.uint64();
          break;
        default:
          r.skip(tag & 7);
      }
      if (r.pos > end) throw new MalformedFrameError(`batch entry ${i} metadata runs past its size`);
    }
    if (size < 0) throw new MalformedFrameError('SingleMessageMetadata is missing required field payload_size');
    if (end + size > len) throw new MalformedFrameError(`batch entry ${i} payload runs past the batch`);
    this.payload = batch.subarray(end, end + size);
    r.pos = end + size;
    return true;
  }
}

/** Split a batch payload into its `count` entries without decoding their properties (see BatchEntryCursor). */
export function readBatchEntries(payload: Buffer, count: number): BatchEntryView[] {
  const out: BatchEntryView[] = [];
  const c = new BatchEntryCursor(payload, count);
  while (c.next()) {
    const { metaStart, metaEnd, hasProperties, partitionKey, eventTime, sequenceId, compactedOut } = c;
    out.push({ payload: c.payload, metaStart, metaEnd, hasProperties, partitionKey, eventTime, sequenceId, compactedOut });
  }
  return out;
}

/**
 * One property of a batch entry, looked up by its key's UTF-8 bytes without decoding the
 * other keys and values (a scan filtering on one property reads just that value).
 */
export function findEntryProperty(batch: Buffer, start: number, end: number, key: Uint8Array): string | undefined {
  const r = new ProtoReader(batch, start, end);
  const klen = key.length;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.uint32() + r.pos;
    if (kvEnd > end) throw new MalformedFrameError('SingleMessageMetadata.properties runs past the end of its message');
    let match = false;
    let vStart = -1;
    let vEnd = -1;
    while (r.pos < kvEnd) {
      const t = r.uint32();
      if (t === 0x0a || t === 0x12) {
        const l = r.uint32();
        const at = r.pos;
        if (at + l > kvEnd) throw new MalformedFrameError('KeyValue runs past its end');
        r.pos += l;
        if (t === 0x12) {
          vStart = at;
          vEnd = at + l;
        } else if (l === klen) {
          let i = 0;
          while (i < klen && batch[at + i] === key[i]) i++;
          match = i === klen;
        } else match = false;
      } else r.skip(t & 7);
    }
    if (match && vStart >= 0) return batch.toString('utf8', vStart, vEnd);
  }
  return undefined;
}

/** The properties of one batch entry (its SingleMessageMetadata at [start, end) of `batch`), as a record. */
export function decodeEntryProperties(batch: Buffer, start: number, end: number): Record<string, string> {
  const out: Record<string, string> = {};
  const r = new ProtoReader(batch, start, end);
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.uint32() + r.pos;
    if (kvEnd > end) throw new MalformedFrameError('SingleMessageMetadata.properties runs past the end of its message');
    let key: string | undefined;
    let value: string | undefined;
    while (r.pos < kvEnd) {
      const t = r.uint32();
      if (t === 0x0a || t === 0x12) {
        const l = r.uint32();
        if (r.pos + l > kvEnd) throw new MalformedFrameError('KeyValue runs past its end');
        const text = batch.toString('utf8', r.pos, r.pos + l);
        r.pos += l;
        if (t === 0x0a) key = text;
        else value = text;
      } else r.skip(t & 7);
    }
    if (r.pos !== kvEnd) throw new MalformedFrameError('KeyValue runs past its end');
    if (key === undefined || value === undefined) throw new MalformedFrameError('KeyValue is missing its key or value');
    out[key] = value;
  }
  return out;
}
