import { describe, expect, it } from 'vitest';
import { StartPosition } from '../../../../src/pulsar/consumer/start-position.js';
import { MessageId } from '../../../../src/pulsar/message-id.js';

const id = (entry: bigint, batch = -1) => new MessageId(3n, entry, -1, batch);

describe('reader start position', () => {
  it('asks for the entry itself for an exclusive start, and filters nothing after it', () => {
    const s = new StartPosition(id(5n), false);
    expect(s.subscribeData()).toEqual({ ledgerId: 3n, entryId: 5n });
    expect(s.isBefore(id(6n))).toBe(false);
  });

  it('for an inclusive start asks for the entry before and keeps the start message', () => {
    const s = new StartPosition(id(5n), true);
    expect(s.subscribeData()).toEqual({ ledgerId: 3n, entryId: 5n, batch_index: 0 });
    expect(s.isBefore(id(4n))).toBe(true);
    expect(s.isBefore(id(5n))).toBe(false);
  });

  it('inside a batch drops the messages up to the start (and the start itself when exclusive)', () => {
    const exclusive = new StartPosition(id(5n, 1), false);
    exclusive.subscribeData();
    expect([0, 1, 2].map((i) => exclusive.isBefore(id(5n, i)))).toEqual([true, true, false]);
    const inclusive = new StartPosition(id(5n, 1), true);
    inclusive.subscribeData();
    expect([0, 1].map((i) => inclusive.isBefore(id(5n, i)))).toEqual([true, false]);
  });

  it('stops filtering once a message passes, until the next subscribe', () => {
    const s = new StartPosition(id(5n), false);
    s.subscribeData();
    expect(s.isBefore(id(7n))).toBe(false);
    expect(s.isBefore(id(2n))).toBe(false);
    s.subscribeData();
    expect(s.isBefore(id(2n))).toBe(true);
  });

  it('earliest and latest go to the broker as they are and filter nothing', () => {
    const s = new StartPosition(MessageId.earliest, false);
    expect(s.subscribeData()).toEqual(MessageId.earliest.toData(false));
    expect(s.isBefore(id(0n))).toBe(false);
  });

  it('moves to a new start (a seek, or resuming after the last message read)', () => {
    const s = new StartPosition(MessageId.earliest, false);
    s.moveTo(id(9n), false);
    expect(s.messageId).toEqual(id(9n));
    expect(s.subscribeData()).toEqual({ ledgerId: 3n, entryId: 9n });
    expect(s.isBefore(id(9n))).toBe(true);
    expect(s.isBefore(id(10n))).toBe(false);
  });
});
