import { describe, expect, it } from 'vitest';
import { MalformedFrameError } from '../../../src/pulsar/errors.js';
import { CommandConnectDef, KeyValueDef, MessageIdDataDef, MessageMetadataDef, SchemaDef } from '../../../src/pulsar/protocol/definitions.js';
import { decodeMessage, defineMessage, encodeMessage, ProtoReader, ProtoWriter } from '../../../src/pulsar/protocol/protobuf.js';

const hex = (b: Buffer) => b.toString('hex');

describe('protobuf varints', () => {
  it('writes the examples of the protobuf encoding guide', () => {
    const w = new ProtoWriter(1);
    w.uint32(1);
    w.uint32(150);
    w.uint32(300);
    expect(hex(w.finish())).toBe('01' + '9601' + 'ac02');
  });

  it('writes negative int32 as ten bytes and reads it back', () => {
    const w = new ProtoWriter();
    w.int32(-1);
    expect(hex(w.finish())).toBe('ffffffffffffffffff01');
    const def = defineMessage('T', [{ no: 1, name: 'v', type: 'int32' }]);
    expect(decodeMessage(def, encodeMessage(def, { v: -1 }))).toEqual({ v: -1 });
    expect(decodeMessage(def, encodeMessage(def, { v: -123456 }))).toEqual({ v: -123456 });
  });

  it('round-trips 64-bit values as bigint and as number', () => {
    const def = defineMessage('T', [
      { no: 1, name: 'u', type: 'uint64' },
      { no: 2, name: 's', type: 'int64' },
      { no: 3, name: 'n', type: 'uint64num' },
    ]);
    for (const [u, s, n] of [
      [0n, 0n, 0],
      [127n, -1n, 127],
      [2n ** 32n, -(2n ** 40n), 2 ** 32],
      [2n ** 64n - 1n, -(2n ** 63n), Number.MAX_SAFE_INTEGER],
      [1_732_000_000_000n, 1_732_000_000_000n, 1_732_000_000_000],
    ] as const) {
      expect(decodeMessage(def, encodeMessage(def, { u, s, n }))).toEqual({ u, s, n });
    }
  });

  it('encodes a millisecond timestamp as a 64-bit varint, never truncated to 32 bits', () => {
    const def = defineMessage('T', [{ no: 3, name: 't', type: 'uint64num' }]);
    // 1_700_000_000_000 = 0x18B_CFE5_6800
    expect(hex(encodeMessage(def, { t: 1_700_000_000_000 }))).toBe('18' + '80d095ffbc31');
  });

  it('rejects a varint longer than ten bytes', () => {
    const r = new ProtoReader(Buffer.alloc(11, 0x80));
    expect(() => r.uint32()).toThrow(MalformedFrameError);
  });
});

describe('message codec', () => {
  it('encodes KeyValue exactly', () => {
    expect(hex(encodeMessage(KeyValueDef, { key: 'a', value: 'bc' }))).toBe('0a0161' + '12026263');
  });

  it('writes required fields even when zero or missing', () => {
    // MessageIdData{ledgerId: 0, entryId: 0}: both required, written as 0.
    expect(hex(encodeMessage(MessageIdDataDef, { ledgerId: 0n, entryId: 0n }))).toBe('0800' + '1000');
    expect(hex(encodeMessage(MessageIdDataDef, {}))).toBe('0800' + '1000');
    // Schema with empty data still carries name, schema_data and type.
    expect(hex(encodeMessage(SchemaDef, { name: '', type: 0 }))).toBe('0a00' + '1a00' + '2000');
  });

  it('round-trips nested and repeated messages, including a body longer than 127 bytes', () => {
    const props = Array.from({ length: 20 }, (_, i) => ({ key: `key-${i}`, value: 'v'.repeat(i * 10) }));
    const md = {
      producer_name: 'producer-1',
      sequence_id: 42n,
      publish_time: 1_732_000_000_123,
      properties: props,
      partition_key: 'campaign-7',
      schema_version: Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]),
      num_messages_in_batch: 5,
      event_time: 1_732_000_000_000,
    };
    const back = decodeMessage(MessageMetadataDef, encodeMessage(MessageMetadataDef, md));
    expect(back).toEqual(md);
  });

  it('skips unknown fields of every wire type', () => {
    // field 1 "p", field 2 = 0, field 3 = 0, then unknown fields 99 (varint), 98 (fixed64), 97 (len), 96 (fixed32)
    const known = encodeMessage(MessageMetadataDef, { producer_name: 'p', sequence_id: 0n, publish_time: 0 });
    const w = new ProtoWriter();
    w.tag(99, 0);
    w.uint32(300);
    w.tag(98, 1);
    w.ensure(8);
    w.pos += 8;
    w.tag(97, 2);
    w.bytes(Buffer.from('xyz'));
    w.tag(96, 5);
    w.ensure(4);
    w.pos += 4;
    const buf = Buffer.concat([known, Buffer.from(w.finish())]);
    expect(decodeMessage(MessageMetadataDef, buf)).toEqual({ producer_name: 'p', sequence_id: 0n, publish_time: 0 });
  });

  it('reads packed repeated scalars', () => {
    // ack_set (field 5, int64) packed: tag 0x2a, len 3, values 1, 300
    const buf = Buffer.from('0801' + '1002' + '2a03' + '01ac02', 'hex');
    expect(decodeMessage(MessageIdDataDef, buf)).toEqual({ ledgerId: 1n, entryId: 2n, ack_set: [1n, 300n] });
  });

  it('reports a missing required field, a truncated field and a wrong wire type', () => {
    expect(() => decodeMessage(KeyValueDef, Buffer.from('0a0161', 'hex'))).toThrow(/missing required field value/);
    expect(() => decodeMessage(KeyValueDef, Buffer.from('0a0561', 'hex'))).toThrow(MalformedFrameError);
    expect(() => decodeMessage(KeyValueDef, Buffer.from('0801', 'hex'))).toThrow(/wire type 0, expected 2/);
    expect(() => decodeMessage(CommandConnectDef, Buffer.from('0a', 'hex'))).toThrow(MalformedFrameError);
  });
});
