import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NegativeAcksTracker } from '../../../../src/pulsar/consumer/negative-acks.js';
import { MessageId } from '../../../../src/pulsar/message-id.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function tracker(delayMs: number, connected = { up: true }) {
  const rounds: string[][] = [];
  const t = new NegativeAcksTracker(
    (ids) => {
      if (!connected.up) return false;
      rounds.push(ids.map((id) => id.toString()));
      return true;
    },
    { delayMs, retryMs: 200 },
  );
  return { t, rounds, connected };
}

describe('negative acks', () => {
  it('asks for a nacked message again after the delay, not before', () => {
    const { t, rounds } = tracker(1000);
    t.add(new MessageId(1n, 1n));
    vi.advanceTimersByTime(999);
    expect(rounds).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(rounds).toEqual([['1:1:-1:-1']]);
    expect(t.size).toBe(0);
  });

  it('redelivers messages that fall due together in one request, later ones on their own time', () => {
    const { t, rounds } = tracker(100);
    t.add(new MessageId(1n, 1n));
    t.add(new MessageId(1n, 2n));
    vi.advanceTimersByTime(50);
    t.add(new MessageId(1n, 3n));
    vi.advanceTimersByTime(50);
    expect(rounds).toEqual([['1:1:-1:-1', '1:2:-1:-1']]);
    vi.advanceTimersByTime(50);
    expect(rounds).toEqual([['1:1:-1:-1', '1:2:-1:-1'], ['1:3:-1:-1']]);
  });

  it('tracks entries: messages of one batch are one redelivery', () => {
    const { t, rounds } = tracker(10);
    t.add(new MessageId(4n, 7n, -1, 0, 3));
    t.add(new MessageId(4n, 7n, -1, 2, 3));
    vi.advanceTimersByTime(10);
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toHaveLength(1);
  });

  it('re-arms for an earlier due time when a shorter delay comes in', () => {
    const { t, rounds } = tracker(1000);
    t.add(new MessageId(1n, 1n));
    t.add(new MessageId(1n, 2n), 10);
    vi.advanceTimersByTime(10);
    expect(rounds).toEqual([['1:2:-1:-1']]);
    vi.advanceTimersByTime(990);
    expect(rounds).toEqual([['1:2:-1:-1'], ['1:1:-1:-1']]);
  });

  it('forgets a message acknowledged meanwhile, or covered by a cumulative ack', () => {
    const { t, rounds } = tracker(100);
    t.add(new MessageId(1n, 1n));
    t.add(new MessageId(1n, 2n));
    t.add(new MessageId(1n, 5n));
    t.remove(new MessageId(1n, 5n));
    t.removeUpTo(new MessageId(1n, 1n));
    vi.advanceTimersByTime(100);
    expect(rounds).toEqual([['1:2:-1:-1']]);
  });

  it('while disconnected keeps the due messages and tries again after a pause, without spinning', () => {
    const { t, rounds, connected } = tracker(100);
    connected.up = false;
    t.add(new MessageId(2n, 1n));
    vi.advanceTimersByTime(100);
    expect(t.size).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    connected.up = true;
    vi.advanceTimersByTime(199);
    expect(rounds).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(rounds).toEqual([['2:1:-1:-1']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close stops the timer and ignores later nacks', () => {
    const { t, rounds } = tracker(10);
    t.add(new MessageId(1n, 1n));
    t.close();
    t.add(new MessageId(1n, 2n));
    vi.advanceTimersByTime(100);
    expect(rounds).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
