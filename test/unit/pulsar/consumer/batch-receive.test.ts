import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bitSet, receiveEntry } from '../../../../src/pulsar/consumer/batch-receive.js';
import { MessageId } from '../../../../src/pulsar/message-id.js';
import { AckValidationError, CompressionType, type CommandMessage, type MessageMetadata } from '../../../../src/pulsar/protocol/definitions.js';
import { encodeBatchPayload, type BatchMessage } from '../../../../src/pulsar/protocol/batch.js';
import type { PayloadSection } from '../../../../src/pulsar/protocol/frame.js';

const cmd = (over: Partial<CommandMessage> = {}): CommandMessage => ({ consumer_id: 1, message_id: { ledgerId: 9n, entryId: 4n }, ...over });
const meta = (over: Partial<MessageMetadata> = {}): MessageMetadata => ({ producer_name: 'p-1', sequence_id: 10n, publish_time: 1_700_000_000_000, ...over });
const section = (metadata: MessageMetadata, payload: Buffer): PayloadSection => ({ metadata, payload, checksummed: true });
const src = { topic: 'persistent://t/n/x-partition-2', partition: 2 };

function batchSection(entries: BatchMessage[], over: Partial<MessageMetadata> = {}): PayloadSection {
  return section(meta({ num_messages_in_batch: entries.length, ...over }), encodeBatchPayload(entries));
}

function ok(r: ReturnType<typeof receiveEntry>) {
  if (!r.ok) throw new Error(`expected messages, got: ${r.reason}`);
  return r;
}

describe('receiving an entry', () => {
  it('wraps a single message with its id, key, event time, properties and schema version', () => {
    const r = ok(
      receiveEntry(
        cmd({ redelivery_count: 2 }),
        section(
          meta({ partition_key: 'k', event_time: 5, properties: [{ key: 'type', value: 'a.v1' }], schema_version: Buffer.from([0, 1]) }),
          Buffer.from('hello'),
        ),
        src,
      ),
    );
    expect(r.skipped).toBe(0);
    const [m] = r.messages;
    expect(m!.messageId.toString()).toBe('9:4:2:-1');
    expect(m!.topic).toBe(src.topic);
    expect(m!.payload.toString()).toBe('hello');
    expect([m!.key, m!.eventTime, m!.redeliveryCount, m!.producerName, m!.sequenceId]).toEqual(['k', 5, 2, 'p-1', 10n]);
    expect(m!.properties).toEqual({ type: 'a.v1' });
    expect(m!.schemaVersion).toEqual(Buffer.from([0, 1]));
  });

  it('splits a batch into messages that share one ack state and number their sequence ids', () => {
    const r = ok(
      receiveEntry(
        cmd(),
        batchSection([{ payload: Buffer.from('a'), key: 'k1' }, { payload: Buffer.from('b'), properties: { x: '1' } }, { payload: Buffer.from('c') }]),
        src,
      ),
    );
    expect(r.messages.map((m) => m.payload.toString())).toEqual(['a', 'b', 'c']);
    expect(r.messages.map((m) => m.messageId.toString())).toEqual(['9:4:2:0', '9:4:2:1', '9:4:2:2']);
    expect(r.messages.map((m) => m.sequenceId)).toEqual([10n, 11n, 12n]);
    expect(r.messages[0]!.key).toBe('k1');
    expect(r.messages[1]!.properties).toEqual({ x: '1' });
    const state = r.messages[0]!.messageId.batchAck!;
    expect(r.messages.every((m) => m.messageId.batchAck === state)).toBe(true);
    expect(state.remaining).toBe(3);
  });

  it('leaves out messages the broker has as acknowledged (ack_set) and counts them done', () => {
    // Bits set = still to deliver: indexes 0 and 2 of 3.
    const r = ok(
      receiveEntry(
        cmd({ ack_set: [0b101n] }),
        batchSection([{ payload: Buffer.from('a') }, { payload: Buffer.from('b') }, { payload: Buffer.from('c') }]),
        src,
      ),
    );
    expect(r.messages.map((m) => m.payload.toString())).toEqual(['a', 'c']);
    expect(r.skipped).toBe(1);
    const state = r.messages[0]!.messageId.batchAck!;
    expect(state.remaining).toBe(2);
    expect([...state.acked]).toEqual([0, 1, 0]);
  });

  it('leaves out messages before a start position', () => {
    const start = new MessageId(9n, 4n, 2, 1);
    const r = ok(
      receiveEntry(cmd(), batchSection([{ payload: Buffer.from('a') }, { payload: Buffer.from('b') }, { payload: Buffer.from('c') }]), {
        ...src,
        skip: (id) => id.batchIndex <= start.batchIndex,
      }),
    );
    expect(r.messages.map((m) => m.payload.toString())).toEqual(['c']);
    expect(r.skipped).toBe(2);
    const single = ok(receiveEntry(cmd(), section(meta(), Buffer.from('x')), { ...src, skip: () => true }));
    expect(single).toEqual({ ok: true, messages: [], skipped: 1 });
  });

  it('decompresses before splitting', () => {
    const plain = encodeBatchPayload([{ payload: Buffer.from('one') }, { payload: Buffer.from('two') }]);
    const r = ok(
      receiveEntry(
        cmd(),
        section(meta({ num_messages_in_batch: 2, compression: CompressionType.ZLIB, uncompressed_size: plain.length }), zlib.deflateSync(plain)),
        src,
      ),
    );
    expect(r.messages.map((m) => m.payload.toString())).toEqual(['one', 'two']);
  });

  it('refuses an entry it cannot decompress, with the permits it used', () => {
    const r = receiveEntry(
      cmd(),
      section(meta({ num_messages_in_batch: 4, compression: CompressionType.ZLIB, uncompressed_size: 50 }), Buffer.from('not zlib at all')),
      src,
    );
    expect(r).toMatchObject({ ok: false, validationError: AckValidationError.DecompressionError, permits: 4 });
  });

  it('refuses a batch whose count the payload cannot hold, before sizing anything by it', () => {
    const r = receiveEntry(cmd(), section(meta({ num_messages_in_batch: 1_000_000 }), Buffer.alloc(12)), src);
    expect(r).toMatchObject({ ok: false, validationError: AckValidationError.BatchDeSerializeError, permits: 1 });
    if (!r.ok) expect(r.reason).toMatch(/claims 1000000 messages in 12 bytes/);
  });

  it('refuses the whole batch when one of its entries is damaged', () => {
    const payload = encodeBatchPayload([{ payload: Buffer.from('a') }, { payload: Buffer.from('b') }]);
    const r = receiveEntry(cmd(), section(meta({ num_messages_in_batch: 2 }), payload.subarray(0, payload.length - 1)), src);
    expect(r).toMatchObject({ ok: false, validationError: AckValidationError.BatchDeSerializeError, permits: 2 });
  });
});

describe('ack-set bits', () => {
  it('reads java.util.BitSet words, including the sign bit and past the last word', () => {
    expect(bitSet([0b10n], 1)).toBe(true);
    expect(bitSet([0b10n], 0)).toBe(false);
    expect(bitSet([-1n], 63)).toBe(true);
    expect(bitSet([0n, 1n], 64)).toBe(true);
    expect(bitSet([1n], 64)).toBe(false);
  });
});
