/**
 * Frames on the Pulsar wire (all integers big-endian):
 *
 *   simple frame:  [totalSize u32][commandSize u32][BaseCommand]
 *   payload frame: [totalSize u32][commandSize u32][BaseCommand]
 *                  ([0x0e02 u16][brokerEntryMetadataSize u32][BrokerEntryMetadata])?   broker → client only
 *                  [0x0e01 u16][checksum u32][metadataSize u32][MessageMetadata][payload]
 *
 * totalSize counts every byte after itself. The checksum is CRC32C over everything after
 * it: metadataSize, metadata and payload. A batch payload is a run of
 * [singleMetadataSize u32][SingleMessageMetadata][message payload] entries.
 *
 * Pure code: bytes in, plain objects out.
 */
import { ChecksumMismatchError, FrameTooLargeError, MalformedFrameError, type ProtocolError, UnknownCommandError } from '../errors.js';
import { BaseCommandDef, type BaseCommand, commandTypeName, subCommandField } from './commands.js';
import { crc32c } from './crc32c.js';
import {
  BrokerEntryMetadataDef,
  MessageMetadataDef,
  type BrokerEntryMetadata,
  type MessageMetadata,
  type SingleMessageMetadata,
} from './definitions.js';
import { decodeMessage, encodeInto, ProtoReader, ProtoWriter, writeField } from './protobuf.js';

export const MAGIC_CRC32C = 0x0e01;
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;

/** Broker default maxMessageSize (5 MiB); frames carry some headroom above it for headers. */
export const DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;
export const FRAME_HEADROOM = 64 * 1024;

export interface PayloadSection {
  metadata: MessageMetadata;
  /** The message payload (or the whole batch of entries). A view into the frame. */
  payload: Buffer;
  brokerEntryMetadata?: BrokerEntryMetadata;
  /** Whether the frame carried a checksum (it was verified when it did). */
  checksummed: boolean;
}

export interface Frame {
  command: BaseCommand;
  payload?: PayloadSection;
}

/** Write BaseCommand: only the type and the sub-command of that type. */
function writeBaseCommand(w: ProtoWriter, cmd: BaseCommand): void {
  // Only the type and its one sub-command, rather than walking the whole BaseCommand table.
  w.tag(1, 0);
  w.uint32(cmd.type);
  const field = subCommandField(cmd.type);
  if (field === undefined) return;
  const sub = (cmd as unknown as Record<string, Record<string, unknown> | undefined>)[field];
  writeField(w, BaseCommandDef.byNo[cmd.type]!, sub ?? {});
}

/** A simple frame for a command without payload. */
export function encodeCommandFrame(cmd: BaseCommand): Buffer {
  const w = new ProtoWriter(128);
  w.pos = 8;
  writeBaseCommand(w, cmd);
  const buf = w.buf;
  buf.writeUInt32BE(w.pos - 4, 0);
  buf.writeUInt32BE(w.pos - 8, 4);
  return Buffer.from(buf.subarray(0, w.pos));
}

/**
 * A payload frame: command + checksummed metadata + payload, in one buffer (kept as is
 * by the producer so a resend after reconnect is the same bytes).
 */
export function encodePayloadFrame(cmd: BaseCommand, metadata: MessageMetadata, payload: Uint8Array): Buffer {
  return writePayloadFrame(cmd, metadata, payload.length + 256, (w) => {
    w.ensure(payload.length);
    w.buf.set(payload, w.pos);
    w.pos += payload.length;
  });
}

/**
 * `[totalSize][commandSize][BaseCommand][0x0e01][CRC32C][metadataSize][MessageMetadata][payload]`
 * in one buffer: sizes and checksum are filled in once the body is written.
 */
function writePayloadFrame(cmd: BaseCommand, metadata: MessageMetadata, sizeHint: number, writeBody: (w: ProtoWriter) => void): Buffer {
  const w = new ProtoWriter(sizeHint);
  w.pos = 8;
  writeBaseCommand(w, cmd);
  const commandEnd = w.pos;
  w.ensure(10);
  w.buf.writeUInt16BE(MAGIC_CRC32C, commandEnd);
  const checksumAt = commandEnd + 2;
  const metaSizeAt = checksumAt + 4;
  w.pos = metaSizeAt + 4;
  encodeInto(w, MessageMetadataDef, metadata as unknown as Record<string, unknown>);
  const metaEnd = w.pos;
  writeBody(w);
  const buf = w.buf;
  buf.writeUInt32BE(w.pos - 4, 0);
  buf.writeUInt32BE(commandEnd - 8, 4);
  buf.writeUInt32BE(metaEnd - metaSizeAt - 4, metaSizeAt);
  buf.writeUInt32BE(crc32c(buf, 0, metaSizeAt, w.pos), checksumAt);
  return buf.subarray(0, w.pos);
}

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
function writeBatchEntries(w: ProtoWriter, entries: readonly BatchMessage[]): void {
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

function batchSizeEstimate(entries: readonly BatchMessage[]): number {
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

/** A payload frame whose payload is a batch, written in one pass into one buffer. */
export function encodeBatchFrame(cmd: BaseCommand, metadata: MessageMetadata, entries: readonly BatchMessage[]): Buffer {
  return writePayloadFrame(cmd, metadata, batchSizeEstimate(entries) + 512, (w) => writeBatchEntries(w, entries));
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

/**
 * Decode one frame (the bytes after totalSize). Throws typed protocol errors; a checksum
 * mismatch carries the decoded command so the caller can tell the broker which message.
 */
export function decodeFrame(frame: Buffer): Frame {
  if (frame.length < 4) throw new MalformedFrameError('frame too short for its command size');
  const cmdSize = frame.readUInt32BE(0);
  if (cmdSize > frame.length - 4) throw new MalformedFrameError(`command size ${cmdSize} exceeds frame size ${frame.length}`);
  const command = decodeMessage<BaseCommand>(BaseCommandDef, frame, 4, 4 + cmdSize);
  if (commandTypeName(command.type) === undefined) throw new UnknownCommandError(command.type);
  let pos = 4 + cmdSize;
  if (pos === frame.length) return { command };

  let brokerEntryMetadata: BrokerEntryMetadata | undefined;
  if (pos + 2 <= frame.length && frame.readUInt16BE(pos) === MAGIC_BROKER_ENTRY_METADATA) {
    if (pos + 6 > frame.length) throw new MalformedFrameError('broker entry metadata header is truncated');
    const size = frame.readUInt32BE(pos + 2);
    const start = pos + 6;
    if (start + size > frame.length) throw new MalformedFrameError('broker entry metadata runs past the frame');
    brokerEntryMetadata = decodeMessage<BrokerEntryMetadata>(BrokerEntryMetadataDef, frame, start, start + size);
    pos = start + size;
  }
  let checksummed = false;
  if (pos + 2 <= frame.length && frame.readUInt16BE(pos) === MAGIC_CRC32C) {
    if (pos + 6 > frame.length) throw new MalformedFrameError('checksum header is truncated');
    const expected = frame.readUInt32BE(pos + 2);
    pos += 6;
    const actual = crc32c(frame, 0, pos, frame.length);
    if (actual !== expected) {
      const err = new ChecksumMismatchError(
        `message checksum mismatch (expected ${expected.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')})`,
      );
      throw Object.assign(err, { command });
    }
    checksummed = true;
  }
  if (pos + 4 > frame.length) throw new MalformedFrameError('message metadata size is truncated');
  const metaSize = frame.readUInt32BE(pos);
  pos += 4;
  if (pos + metaSize > frame.length) throw new MalformedFrameError(`message metadata size ${metaSize} runs past the frame`);
  const metadata = decodeMessage<MessageMetadata>(MessageMetadataDef, frame, pos, pos + metaSize);
  pos += metaSize;
  const payload: PayloadSection = { metadata, payload: frame.subarray(pos), checksummed };
  if (brokerEntryMetadata) payload.brokerEntryMetadata = brokerEntryMetadata;
  return { command, payload };
}

export interface FrameParserOptions {
  /** Largest totalSize accepted; bigger announces a corrupt stream. */
  maxFrameSize?: number;
  onFrame: (frame: Frame) => void;
  /**
   * A frame that could not be decoded. Its bytes were consumed, so parsing goes on with
   * the next frame unless `fatal` (the stream itself is unusable: sizes make no sense).
   */
  onError: (err: ProtocolError, info: { fatal: boolean; command?: BaseCommand }) => void;
}

/**
 * Streaming frame parser: feed it bytes in any chunking (one byte at a time included);
 * it calls `onFrame` for each complete frame. After a fatal error it stops and ignores input.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private firstOffset = 0;
  private buffered = 0;
  private failed = false;
  maxFrameSize: number;

  constructor(private readonly opts: FrameParserOptions) {
    this.maxFrameSize = opts.maxFrameSize ?? DEFAULT_MAX_MESSAGE_SIZE + FRAME_HEADROOM;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  get isFailed(): boolean {
    return this.failed;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4 && !this.failed) {
      const totalSize = this.peekUInt32();
      if (totalSize > this.maxFrameSize) {
        this.fail(new FrameTooLargeError(`frame of ${totalSize} bytes exceeds the maximum of ${this.maxFrameSize} bytes`));
        return;
      }
      if (totalSize < 4) {
        this.fail(new MalformedFrameError(`frame size ${totalSize} is too small to hold a command`));
        return;
      }
      if (this.buffered < 4 + totalSize) return;
      this.consume(4);
      const body = this.consume(totalSize);
      let frame: Frame;
      try {
        frame = decodeFrame(body);
      } catch (err) {
        const command = (err as { command?: BaseCommand }).command;
        this.opts.onError(err as ProtocolError, command ? { fatal: false, command } : { fatal: false });
        continue;
      }
      this.opts.onFrame(frame);
    }
  }

  private fail(err: ProtocolError): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.opts.onError(err, { fatal: true });
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.length - this.firstOffset >= 4) return first.readUInt32BE(this.firstOffset);
    const head = Buffer.alloc(4);
    let filled = 0;
    let off = this.firstOffset;
    for (const c of this.chunks) {
      while (off < c.length && filled < 4) head[filled++] = c[off++]!;
      if (filled === 4) break;
      off = 0;
    }
    return head.readUInt32BE(0);
  }

  /** Take `n` buffered bytes: a view when they sit in one chunk, a copy otherwise. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    const avail = first.length - this.firstOffset;
    if (avail >= n) {
      const out = first.subarray(this.firstOffset, this.firstOffset + n);
      if (avail === n) {
        this.chunks.shift();
        this.firstOffset = 0;
      } else {
        this.firstOffset += n;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.firstOffset, n - filled);
      c.copy(out, filled, this.firstOffset, this.firstOffset + take);
      filled += take;
      if (this.firstOffset + take === c.length) {
        this.chunks.shift();
        this.firstOffset = 0;
      } else {
        this.firstOffset += take;
      }
    }
    return out;
  }
}
