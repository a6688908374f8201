import { describe, expect, it } from 'vitest';
import { batchEntry, singleEntry, type PendingMessage } from '../../../../src/pulsar/producer/entry.js';
import { decodeBatchPayload } from '../../../../src/pulsar/protocol/batch.js';
import { decodeFrame } from '../../../../src/pulsar/protocol/frame.js';

const sender = { producerId: 7, producerName: 'orders-1', schemaVersion: Buffer.from([0, 0, 0, 2]) };
const pending = (sequenceId: number, extra: Partial<PendingMessage> = {}): PendingMessage => ({
  payload: Buffer.from(`m${sequenceId}`),
  sequenceId,
  resolve: () => {},
  reject: () => {},
  ...extra,
});

// Frames start with their total size; decodeFrame reads what follows it (hence subarray(4)).
describe('producer entries', () => {
  it('a single message: SEND with its sequence id, metadata with key, properties, event time and schema version', () => {
    const op = singleEntry(sender, pending(5, { key: 'k', properties: { type: 'x.v1' }, eventTime: 99 }));
    expect([op.sequenceId, op.highestSequenceId, op.batch, op.messages.length]).toEqual([5, 5, false, 1]);
    const f = decodeFrame(op.frame.subarray(4));
    expect(f.command.send).toMatchObject({ producer_id: 7, sequence_id: 5 });
    const md = f.payload!.metadata;
    expect(md).toMatchObject({ producer_name: 'orders-1', sequence_id: 5n, partition_key: 'k', event_time: 99, properties: [{ key: 'type', value: 'x.v1' }] });
    expect(md.num_messages_in_batch).toBeUndefined();
    expect(Buffer.from(md.schema_version!)).toEqual(sender.schemaVersion);
    expect(f.payload!.payload.toString()).toBe('m5');
  });

  it('a batch: one entry with the first and highest sequence ids, the count and the shared key', () => {
    const items = [pending(10), pending(11, { properties: { a: '1' } }), pending(12)];
    const op = batchEntry(sender, items, 'key-1');
    expect([op.sequenceId, op.highestSequenceId, op.batch, op.messages]).toEqual([10, 12, true, items]);
    const f = decodeFrame(op.frame.subarray(4));
    expect(f.command.send).toMatchObject({ producer_id: 7, sequence_id: 10, num_messages: 3, highest_sequence_id: 12 });
    expect(f.payload!.metadata).toMatchObject({ sequence_id: 10n, highest_sequence_id: 12n, num_messages_in_batch: 3, partition_key: 'key-1' });
    const entries = decodeBatchPayload(f.payload!.payload, 3);
    expect(entries.map((e) => Buffer.from(e.payload).toString())).toEqual(['m10', 'm11', 'm12']);
    expect(entries[1]!.metadata.properties).toEqual([{ key: 'a', value: '1' }]);
  });

  it('a batch without a key carries none', () => {
    const f = decodeFrame(batchEntry({ ...sender, schemaVersion: undefined }, [pending(1)], undefined).frame.subarray(4));
    expect(f.payload!.metadata.partition_key).toBeUndefined();
    expect(f.payload!.metadata.schema_version).toBeUndefined();
  });
});
