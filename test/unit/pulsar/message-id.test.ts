import { describe, expect, it } from 'vitest';
import { MessageId } from '../../../src/pulsar/message-id.js';
import { UsageError } from '../../../src/errors.js';

describe('MessageId', () => {
  it('prints and parses ledger:entry:partition:batch', () => {
    const id = new MessageId(12n, 3n, 2, 5);
    expect(id.toString()).toBe('12:3:2:5');
    expect(MessageId.parse('12:3:2:5')).toEqual(id);
    expect(MessageId.parse('12:3').toString()).toBe('12:3:-1:-1');
    expect(MessageId.parse(' 7:0:-1 ').toString()).toBe('7:0:-1:-1');
  });

  it('rejects text that is not a message id with a usage error', () => {
    for (const bad of ['', '12', 'a:b', '1:2:3:4:5', '1.5:2']) expect(() => MessageId.parse(bad)).toThrow(UsageError);
  });

  it('orders by ledger, entry, then batch index', () => {
    const ids = [new MessageId(2n, 0n), new MessageId(1n, 5n, -1, 1), new MessageId(1n, 5n, -1, 0), new MessageId(1n, 4n)];
    ids.sort((a, b) => a.compare(b));
    expect(ids.map(String)).toEqual(['1:4:-1:-1', '1:5:-1:0', '1:5:-1:1', '2:0:-1:-1']);
    expect(MessageId.earliest.compare(new MessageId(0n, 0n))).toBe(-1);
    expect(MessageId.latest.compare(new MessageId(1n << 40n, 0n))).toBe(1);
  });

  it('converts to and from the protocol form', () => {
    expect(new MessageId(1n, 2n).toData()).toEqual({ ledgerId: 1n, entryId: 2n });
    expect(new MessageId(1n, 2n, 3, 4).toData()).toEqual({ ledgerId: 1n, entryId: 2n, partition: 3, batch_index: 4 });
    expect(new MessageId(1n, 2n, 3, 4).toData(false)).toEqual({ ledgerId: 1n, entryId: 2n, partition: 3 });
    expect(MessageId.fromData({ ledgerId: -1n, entryId: -1n }).toString()).toBe('-1:-1:-1:-1');
  });
});
