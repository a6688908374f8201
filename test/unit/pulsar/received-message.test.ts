import { describe, expect, it } from 'vitest';
import { MessageId } from '../../../src/pulsar/message-id.js';
import { BatchEntryCursor, encodeBatchPayload } from '../../../src/pulsar/protocol/batch.js';
import { propertyOf, ReceivedMessage } from '../../../src/pulsar/received-message.js';
import type { Message } from '../../../src/pulsar/types.js';

/** Messages as the consumer builds them from a batch payload. */
function fromBatch(entries: Parameters<typeof encodeBatchPayload>[0], baseSequence = 100n): ReceivedMessage[] {
  const batch = encodeBatchPayload(entries);
  const c = new BatchEntryCursor(batch, entries.length);
  const out: ReceivedMessage[] = [];
  while (c.next()) {
    out.push(
      new ReceivedMessage(
        new MessageId(5n, 9n, -1, c.index, entries.length),
        't',
        c.payload,
        1_700_000_000_000,
        0,
        'p',
        c.hasProperties ? batch : undefined,
        c.metaStart,
        c.metaEnd,
        c.sequenceId ?? baseSequence,
        c.sequenceId === undefined ? c.index : 0,
      ),
    );
  }
  return out;
}

describe('received messages', () => {
  it('decode their properties on first read, the same as written', () => {
    const [a, b] = fromBatch([
      { payload: Buffer.from('a'), properties: { type: 'campaign.created.v1', correlation_id: 'c-1', ключ: 'значение' } },
      { payload: Buffer.from('b') },
    ]);
    expect(a!.properties).toEqual({ type: 'campaign.created.v1', correlation_id: 'c-1', ключ: 'значение' });
    expect(a!.properties).toBe(a!.properties);
    expect(b!.properties).toEqual({});
    expect({ ...a!.properties, extra: 'x' }).toEqual({ type: 'campaign.created.v1', correlation_id: 'c-1', ключ: 'значение', extra: 'x' });
  });

  it('find one property without the others, before or after a full decode', () => {
    const [a] = fromBatch([{ payload: Buffer.from('a'), properties: { type: 'x.v1', correlation_id: 'c-1' } }]);
    expect(propertyOf(a!, 'correlation_id')).toBe('c-1');
    expect(propertyOf(a!, 'type')).toBe('x.v1');
    expect(propertyOf(a!, 'missing')).toBeUndefined();
    void a!.properties;
    expect(propertyOf(a!, 'type')).toBe('x.v1');
  });

  it('propertyOf also reads plain messages', () => {
    const plain = { properties: { type: 'y.v1' } } as unknown as Message;
    expect(propertyOf(plain, 'type')).toBe('y.v1');
  });

  it('take their own sequence id, or the batch start plus their index', () => {
    const [a, b, c] = fromBatch([{ payload: Buffer.from('a') }, { payload: Buffer.from('b'), sequenceId: 7 }, { payload: Buffer.from('c') }]);
    expect([a!.sequenceId, b!.sequenceId, c!.sequenceId]).toEqual([100n, 7n, 102n]);
  });

  it('carry their payload and id text', () => {
    const [a, b] = fromBatch([{ payload: Buffer.from('first') }, { payload: Buffer.from('second') }]);
    expect(a!.payload.toString()).toBe('first');
    expect(b!.payload.toString()).toBe('second');
    expect([a!.messageId.toString(), b!.messageId.toString(), new MessageId(5n, 10n).toString(), a!.messageId.toString()]).toEqual([
      '5:9:-1:0',
      '5:9:-1:1',
      '5:10:-1:-1',
      '5:9:-1:0',
    ]);
  });
});
