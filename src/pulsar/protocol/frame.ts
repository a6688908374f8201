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
 * [singleMetadataSize u32][SingleMessageMetadata][message payload] entries (./batch.ts).
 *
 * Pure code: bytes in, plain objects out.
 */
import { ChecksumMismatchError, FrameTooLargeError, MalformedFrameError, type ProtocolError, UnknownCommandError } from '../errors.js';
import { BaseCommandDef, type BaseCommand, commandTypeName, subCommandField } from './commands.js';
import { crc32c } from './crc32c.js';
import { BrokerEntryMetadataDef, MessageMetadataDef, type BrokerEntryMetadata, type MessageMetadata } from './definitions.js';
import { batchSizeEstimate, writeBatchEntries, type BatchMessage } from './batch.js';
import { decodeMessage, encodeInto, ProtoWriter, writeField } from './protobuf.js';

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

/** A payload frame whose payload is a batch, written in one pass into one buffer. */
export function encodeBatchFrame(cmd: BaseCommand, metadata: MessageMetadata, entries: readonly BatchMessage[]): Buffer {
  return writePayloadFrame(cmd, metadata, batchSizeEstimate(entries) + 512, (w) => writeBatchEntries(w, entries));
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
