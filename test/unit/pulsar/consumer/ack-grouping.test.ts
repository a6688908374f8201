import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckGroupingTracker, cumulativeAckTarget } from '../../../../src/pulsar/consumer/ack-grouping.js';
import { MessageId, type BatchAckState } from '../../../../src/pulsar/message-id.js';
import type { MessageIdData } from '../../../../src/pulsar/protocol/definitions.js';

/** Records the ACK commands the tracker writes; `connected` decides whether writing works. */
function recorder() {
  const sent: { type: 'individual' | 'cumulative'; ids: string[] }[] = [];
  const text = (d: MessageIdData) => `${d.ledgerId}:${d.entryId}`;
  const sink = {
    connected: true,
    individual(ids: MessageIdData[]) {
      if (!sink.connected) return false;
      sent.push({ type: 'individual', ids: ids.map(text) });
      return true;
    },
    cumulative(id: MessageIdData) {
      if (!sink.connected) return false;
      sent.push({ type: 'cumulative', ids: [text(id)] });
      return true;
    },
  };
  return { sent, sink };
}

function batch(ledger: bigint, entry: bigint, size: number): MessageId[] {
  const state: BatchAckState = { remaining: size, acked: new Uint8Array(size) };
  return Array.from({ length: size }, (_, i) => {
    const id = new MessageId(ledger, entry, -1, i, size);
    id.batchAck = state;
    return id;
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ack grouping', () => {
  it('sends the acks of one window as one command, when the delay passes', async () => {
    const { sent, sink } = recorder();
    const t = new AckGroupingTracker(sink, { maxDelayMs: 10 });
    const a = t.add(new MessageId(1n, 1n));
    const b = t.add(new MessageId(1n, 2n));
    expect(a).toBe(b);
    vi.advanceTimersByTime(9);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ type: 'individual', ids: ['1:1', '1:2'] }]);
    await expect(a).resolves.toBeUndefined();
    expect(t.pending).toBe(0);
  });

  it('flushes at once when the group reaches its size', () => {
    const { sent, sink } = recorder();
    const t = new AckGroupingTracker(sink, { maxDelayMs: 1000, maxSize: 3 });
    for (let i = 0; i < 7; i++) void t.add(new MessageId(2n, BigInt(i)));
    expect(sent.map((s) => s.ids.length)).toEqual([3, 3]);
    vi.advanceTimersByTime(1000);
    expect(sent.map((s) => s.ids.length)).toEqual([3, 3, 1]);
  });

  it('acknowledges a batch entry once all its messages are acknowledged, in any order', async () => {
    const { sent, sink } = recorder();
    const t = new AckGroupingTracker(sink);
    const [m0, m1, m2] = batch(3n, 4n, 3);
    await t.add(m2!);
    await t.add(m0!);
    await t.add(m0!); // twice: still counts once
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([]);
    const last = t.add(m1!);
    vi.advanceTimersByTime(10);
    await last;
    expect(sent).toEqual([{ type: 'individual', ids: ['3:4'] }]);
  });

  it('keeps the group while disconnected and writes it on the next flush', async () => {
    const { sent, sink } = recorder();
    sink.connected = false;
    const t = new AckGroupingTracker(sink);
    let done = false;
    void t.add(new MessageId(5n, 1n)).then(() => (done = true));
    vi.advanceTimersByTime(100);
    await Promise.resolve();
    expect(done).toBe(false);
    expect(t.pending).toBe(1);
    sink.connected = true;
    t.flush();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(sent).toEqual([{ type: 'individual', ids: ['5:1'] }]);
  });

  it('sends only the highest cumulative position of a group, after the individual acks', () => {
    const { sent, sink } = recorder();
    const t = new AckGroupingTracker(sink);
    void t.addCumulative(new MessageId(7n, 5n));
    void t.add(new MessageId(7n, 9n));
    void t.addCumulative(new MessageId(7n, 8n));
    void t.addCumulative(new MessageId(7n, 6n));
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([
      { type: 'individual', ids: ['7:9'] },
      { type: 'cumulative', ids: ['7:8'] },
    ]);
  });

  it('close writes what is pending and settles the group even when nothing can be written', async () => {
    const { sent, sink } = recorder();
    const t = new AckGroupingTracker(sink);
    const a = t.add(new MessageId(8n, 1n));
    t.close();
    await a;
    expect(sent).toEqual([{ type: 'individual', ids: ['8:1'] }]);

    sink.connected = false;
    const b = t.add(new MessageId(8n, 2n));
    t.close();
    await expect(b).resolves.toBeUndefined();
    expect(t.pending).toBe(0);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
  });
});

describe('cumulative ack target', () => {
  it('is the entry itself for a plain message or the last of a batch', () => {
    expect(cumulativeAckTarget(new MessageId(1n, 5n))).toEqual({ ledgerId: 1n, entryId: 5n });
    expect(cumulativeAckTarget(new MessageId(1n, 5n, -1, 2, 3))).toEqual({ ledgerId: 1n, entryId: 5n });
  });

  it('is the entry before when the batch is not consumed to its end, and nothing before entry 0', () => {
    expect(cumulativeAckTarget(new MessageId(1n, 5n, -1, 0, 3))).toEqual({ ledgerId: 1n, entryId: 4n });
    expect(cumulativeAckTarget(new MessageId(1n, 0n, -1, 1, 3))).toBeUndefined();
  });
});
