import { describe, expect, it } from 'vitest';
import { ChecksumMismatchError, FrameTooLargeError, MalformedFrameError, type ProtocolError, UnknownCommandError } from '../../../src/pulsar/errors.js';
import { CommandType, type BaseCommand } from '../../../src/pulsar/protocol/commands.js';
import { crc32c } from '../../../src/pulsar/protocol/crc32c.js';
import {
  decodeBatchPayload,
  decodeEntryProperties,
  encodeBatchPayload,
  findEntryProperty,
  readBatchEntries,
  type BatchMessage,
} from '../../../src/pulsar/protocol/batch.js';
import { decodeFrame, encodeBatchFrame, encodeCommandFrame, encodePayloadFrame, FrameParser, type Frame } from '../../../src/pulsar/protocol/frame.js';
import { BrokerEntryMetadataDef, MessageMetadataDef } from '../../../src/pulsar/protocol/definitions.js';
import { encodeMessage } from '../../../src/pulsar/protocol/protobuf.js';

const bytes = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

// CONNECT{client_version "miso", protocol_version 21}, built by hand from PulsarApi.proto:
//   CommandConnect: 0a 04 "miso" (field 1) | 20 15 (field 4 = 21)
//   BaseCommand:    08 02 (type = CONNECT) | 12 08 <CommandConnect> (field 2)
const CONNECT_FRAME = bytes(`
  00000010 0000000c
  0802 1208 0a046d69736f 2015`);

// SEND{producer_id 1, sequence_id 0} + metadata{producer_name "p", sequence_id 0, publish_time 1} + payload "hi":
//   BaseCommand: 08 06 | 32 04 (08 01 10 00)
//   after the command: 0e01 | CRC32C(00000007 0a0170 1000 1801 6869) = 7ed8df46 | 00000007 | metadata | 6869
const SEND_FRAME = bytes(`
  0000001f 00000008
  0806 3204 0801 1000
  0e01 7ed8df46
  00000007 0a0170 1000 1801
  6869`);

function collect(maxFrameSize?: number) {
  const frames: Frame[] = [];
  const errors: { err: ProtocolError; fatal: boolean; command?: BaseCommand }[] = [];
  const parser = new FrameParser({
    ...(maxFrameSize ? { maxFrameSize } : {}),
    onFrame: (f) => frames.push(f),
    onError: (err, info) => errors.push({ err, ...info }),
  });
  return { parser, frames, errors };
}

describe('frame encoding', () => {
  it('encodes a CONNECT frame byte for byte', () => {
    const frame = encodeCommandFrame({ type: CommandType.CONNECT, connect: { client_version: 'miso', protocol_version: 21 } });
    expect(frame.toString('hex')).toBe(CONNECT_FRAME.toString('hex'));
  });

  it('encodes a PING frame (empty sub-command still present)', () => {
    // type = 18 (08 12), field 18 length-delimited (tag 18<<3|2 = 0x92 0x01), length 0
    expect(encodeCommandFrame({ type: CommandType.PING }).toString('hex')).toBe('00000009' + '00000005' + '0812' + '9201' + '00');
  });

  it('encodes a SEND payload frame with its CRC32C byte for byte', () => {
    const frame = encodePayloadFrame(
      { type: CommandType.SEND, send: { producer_id: 1, sequence_id: 0 } },
      { producer_name: 'p', sequence_id: 0n, publish_time: 1 },
      Buffer.from('hi'),
    );
    expect(frame.toString('hex')).toBe(SEND_FRAME.toString('hex'));
  });
});

describe('frame decoding', () => {
  it('decodes the golden frames', () => {
    expect(decodeFrame(CONNECT_FRAME.subarray(4))).toEqual({
      command: { type: CommandType.CONNECT, connect: { client_version: 'miso', protocol_version: 21 } },
    });
    const send = decodeFrame(SEND_FRAME.subarray(4));
    expect(send.command).toEqual({ type: CommandType.SEND, send: { producer_id: 1, sequence_id: 0 } });
    expect(send.payload?.metadata).toEqual({ producer_name: 'p', sequence_id: 0n, publish_time: 1 });
    expect(send.payload?.payload.toString()).toBe('hi');
    expect(send.payload?.checksummed).toBe(true);
  });

  it('skips broker entry metadata (magic 0x0e02) in front of the checksum', () => {
    const bem = encodeMessage(BrokerEntryMetadataDef, { broker_timestamp: 1_732_000_000_000, index: 9 });
    const cmd = SEND_FRAME.subarray(8, 16);
    const rest = SEND_FRAME.subarray(16);
    const prefix = Buffer.concat([Buffer.from([0x0e, 0x02]), Buffer.alloc(4), bem]);
    prefix.writeUInt32BE(bem.length, 2);
    const body = Buffer.concat([Buffer.from([0, 0, 0, 8]), cmd, prefix, rest]);
    const f = decodeFrame(body);
    expect(f.payload?.brokerEntryMetadata).toEqual({ broker_timestamp: 1_732_000_000_000, index: 9 });
    expect(f.payload?.payload.toString()).toBe('hi');
  });

  it('accepts a payload without checksum (written by old clients)', () => {
    const meta = encodeMessage(MessageMetadataDef, { producer_name: 'p', sequence_id: 0n, publish_time: 1 });
    const size = Buffer.alloc(4);
    size.writeUInt32BE(meta.length);
    const body = Buffer.concat([Buffer.from([0, 0, 0, 8]), SEND_FRAME.subarray(8, 16), size, meta, Buffer.from('yo')]);
    const f = decodeFrame(body);
    expect(f.payload?.checksummed).toBe(false);
    expect(f.payload?.payload.toString()).toBe('yo');
  });

  it('round-trips a batch of entries', () => {
    const entries = [
      { payload: Buffer.from('one'), key: 'k1', properties: { a: '1', ключ: 'значение' }, sequenceId: 7 },
      { payload: Buffer.alloc(300, 0x41), eventTime: 1_732_000_000_000 },
      { payload: Buffer.alloc(0) },
    ];
    const back = decodeBatchPayload(encodeBatchPayload(entries), 3);
    expect(back.map((e) => e.metadata)).toEqual([
      {
        payload_size: 3,
        partition_key: 'k1',
        properties: [
          { key: 'a', value: '1' },
          { key: 'ключ', value: 'значение' },
        ],
        sequence_id: 7n,
      },
      { payload_size: 300, event_time: 1_732_000_000_000 },
      { payload_size: 0 },
    ]);
    expect(back.map((e) => Buffer.from(e.payload).toString('hex'))).toEqual(entries.map((e) => e.payload.toString('hex')));
  });

  it('writes a batch entry byte for byte', () => {
    // [size 00000008] SingleMessageMetadata{partition_key "k" (12 01 6b), payload_size 2 (18 02), sequence_id 5 (40 05)} [payload "hi"]
    expect(encodeBatchPayload([{ payload: Buffer.from('hi'), key: 'k', sequenceId: 5 }]).toString('hex')).toBe(
      '00000007' + '12016b' + '1802' + '4005' + '6869',
    );
  });

  it('a batch frame decodes to the same messages as its parts', () => {
    const frame = encodeBatchFrame(
      { type: CommandType.SEND, send: { producer_id: 3, sequence_id: 10, num_messages: 2, highest_sequence_id: 11 } },
      { producer_name: 'p', sequence_id: 10n, publish_time: 5, num_messages_in_batch: 2, highest_sequence_id: 11n },
      [
        { payload: Buffer.from('a'), sequenceId: 10 },
        { payload: Buffer.from('b'), sequenceId: 11, properties: { x: 'y' } },
      ],
    );
    const f = decodeFrame(frame.subarray(4));
    expect(f.command.send).toEqual({ producer_id: 3, sequence_id: 10, num_messages: 2, highest_sequence_id: 11 });
    expect(f.payload!.metadata.num_messages_in_batch).toBe(2);
    const entries = decodeBatchPayload(f.payload!.payload, 2);
    expect(entries.map((e) => [Buffer.from(e.payload).toString(), e.metadata.sequence_id, e.metadata.properties])).toEqual([
      ['a', 10n, undefined],
      ['b', 11n, [{ key: 'x', value: 'y' }]],
    ]);
  });

  it('rejects a batch that claims more entries than it holds', () => {
    const batch = encodeBatchPayload([{ payload: Buffer.from('x') }]);
    expect(() => decodeBatchPayload(batch, 2)).toThrow(MalformedFrameError);
    expect(() => decodeBatchPayload(batch.subarray(0, batch.length - 1), 1)).toThrow(MalformedFrameError);
  });
});

describe('batch entries read lazily', () => {
  const entries: BatchMessage[] = [
    { payload: Buffer.from('one'), key: 'k1', properties: { a: '1', ключ: 'значение' }, sequenceId: 7 },
    { payload: Buffer.alloc(300, 0x41), eventTime: 1_732_000_000_000 },
    { payload: Buffer.alloc(0), properties: { type: 'x.v1' } },
  ];

  it('gives the same fields, payloads and properties as the full decoder', () => {
    const batch = encodeBatchPayload(entries);
    const full = decodeBatchPayload(batch, 3);
    const lazy = readBatchEntries(batch, 3);
    expect(lazy.map((e) => [e.partitionKey, e.eventTime, e.sequenceId, e.compactedOut, e.hasProperties])).toEqual([
      ['k1', undefined, 7n, false, true],
      [undefined, 1_732_000_000_000, undefined, false, false],
      [undefined, undefined, undefined, false, true],
    ]);
    expect(lazy.map((e) => e.payload.toString('hex'))).toEqual(full.map((e) => Buffer.from(e.payload).toString('hex')));
    expect(lazy.map((e) => decodeEntryProperties(batch, e.metaStart, e.metaEnd))).toEqual([{ a: '1', ключ: 'значение' }, {}, { type: 'x.v1' }]);
  });

  it('looks up one property by key without decoding the rest', () => {
    const batch = encodeBatchPayload(entries);
    const [a, b, c] = readBatchEntries(batch, 3);
    const find = (e: typeof a, k: string) => findEntryProperty(batch, e!.metaStart, e!.metaEnd, Buffer.from(k));
    expect(find(a, 'ключ')).toBe('значение');
    expect(find(a, 'a')).toBe('1');
    expect(find(a, 'ab')).toBeUndefined();
    expect(find(a, 'type')).toBeUndefined();
    expect(find(b, 'a')).toBeUndefined();
    expect(find(c, 'type')).toBe('x.v1');
    expect(find(c, 'typ')).toBeUndefined();
  });

  it('payloads are views into the batch, not copies', () => {
    const batch = encodeBatchPayload(entries);
    const [first] = readBatchEntries(batch, 1);
    expect(first!.payload.buffer).toBe(batch.buffer);
  });

  it('still refuses a malformed batch up front, properties included', () => {
    const batch = encodeBatchPayload([{ payload: Buffer.from('x') }]);
    expect(() => readBatchEntries(batch, 2)).toThrow(MalformedFrameError);
    expect(() => readBatchEntries(batch.subarray(0, batch.length - 1), 1)).toThrow(MalformedFrameError);
    // [size 7] properties{KeyValue with a key "k" but no value} payload_size 0
    const noValue = bytes('00000007' + '0a03' + '0a016b' + '1800');
    expect(() => decodeBatchPayload(noValue, 1)).toThrow(MalformedFrameError);
    expect(() => readBatchEntries(noValue, 1)).toThrow(/missing its key or value/);
    // A KeyValue whose key claims more bytes than the KeyValue holds.
    const overrun = bytes('00000008' + '0a03' + '0a056b' + '1800' + '00');
    expect(() => readBatchEntries(overrun, 1)).toThrow(MalformedFrameError);
  });
});

describe('streaming parser', () => {
  it('parses frames fed one byte at a time', () => {
    const { parser, frames, errors } = collect();
    const stream = Buffer.concat([CONNECT_FRAME, SEND_FRAME, CONNECT_FRAME]);
    for (let i = 0; i < stream.length; i++) parser.push(stream.subarray(i, i + 1));
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.command.type)).toEqual([CommandType.CONNECT, CommandType.SEND, CommandType.CONNECT]);
    expect(frames[1]!.payload!.payload.toString()).toBe('hi');
    expect(parser.pendingBytes).toBe(0);
  });

  it('parses any split of a stream into two chunks', () => {
    const stream = Buffer.concat([SEND_FRAME, CONNECT_FRAME]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const { parser, frames, errors } = collect();
      parser.push(stream.subarray(0, cut));
      parser.push(stream.subarray(cut));
      expect(errors).toEqual([]);
      expect(frames.length).toBe(2);
    }
  });

  it('reports a wrong checksum with the command and keeps parsing', () => {
    const bad = Buffer.from(SEND_FRAME);
    bad[bad.length - 1]! ^= 0x01; // flip one payload bit
    const { parser, frames, errors } = collect();
    parser.push(Buffer.concat([bad, CONNECT_FRAME]));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toBeInstanceOf(ChecksumMismatchError);
    expect(errors[0]!.fatal).toBe(false);
    expect(errors[0]!.command?.send?.producer_id).toBe(1);
    expect(frames.map((f) => f.command.type)).toEqual([CommandType.CONNECT]);
  });

  it('reports an unknown command type and keeps parsing', () => {
    // BaseCommand{type: 99}
    const unknown = bytes('00000006 00000002 0863');
    const { parser, frames, errors } = collect();
    parser.push(Buffer.concat([unknown, CONNECT_FRAME]));
    expect(errors[0]!.err).toBeInstanceOf(UnknownCommandError);
    expect((errors[0]!.err as UnknownCommandError).commandType).toBe(99);
    expect(frames).toHaveLength(1);
  });

  it('ignores known commands it does not use (TOPIC_MIGRATED) without error', () => {
    const migrated = encodeCommandFrame({
      type: CommandType.TOPIC_MIGRATED,
      topicMigrated: { resource_id: 3, resource_type: 0, brokerServiceUrl: 'pulsar://b:6650' },
    });
    const { parser, frames, errors } = collect();
    parser.push(migrated);
    expect(errors).toEqual([]);
    expect(frames[0]!.command.topicMigrated?.brokerServiceUrl).toBe('pulsar://b:6650');
  });

  it('fails fatally on an oversized frame and then ignores input', () => {
    const { parser, frames, errors } = collect(1024);
    parser.push(bytes('00100000')); // announces 1 MiB
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err).toBeInstanceOf(FrameTooLargeError);
    expect(errors[0]!.fatal).toBe(true);
    parser.push(CONNECT_FRAME);
    expect(frames).toEqual([]);
    expect(parser.isFailed).toBe(true);
  });

  it('turns garbage into typed errors without crashing or hanging', () => {
    // Deterministic pseudo-random garbage; every outcome must be a typed error or a wait for more bytes.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 200; round++) {
      const len = 1 + Math.floor(rand() * 64);
      const junk = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      // Make half of them plausible-sized so decoding (not just size checks) is exercised.
      if (round % 2 === 0 && len >= 8) junk.writeUInt32BE(len - 4, 0);
      const { parser, errors } = collect(4096);
      expect(() => parser.push(junk)).not.toThrow();
      for (const e of errors) expect(e.err.constructor.name).toMatch(/Error$/);
      for (const e of errors) expect(e.err.retriable).toBe(true);
    }
  });

  it('reports truncation inside a frame whose sizes lie', () => {
    // totalSize 8, commandSize 100 (> frame)
    const { parser, errors } = collect();
    parser.push(bytes('00000008 00000064 0812 0000'));
    expect(errors[0]!.err).toBeInstanceOf(MalformedFrameError);
    // too small to even hold a command size
    const c2 = collect();
    c2.parser.push(bytes('00000002 0000'));
    expect(c2.errors[0]!.err).toBeInstanceOf(MalformedFrameError);
    expect(c2.errors[0]!.fatal).toBe(true);
  });

  it('checksum covers the metadata size, metadata and payload', () => {
    const f = encodePayloadFrame(
      { type: CommandType.SEND, send: { producer_id: 9, sequence_id: 5 } },
      { producer_name: 'x', sequence_id: 5n, publish_time: 2 },
      Buffer.alloc(1000, 7),
    );
    const cmdSize = f.readUInt32BE(4);
    const crcAt = 8 + cmdSize + 2;
    expect(f.readUInt16BE(8 + cmdSize)).toBe(0x0e01);
    expect(f.readUInt32BE(crcAt)).toBe(crc32c(f.subarray(crcAt + 4)));
    expect(f.readUInt32BE(0)).toBe(f.length - 4);
  });
});
