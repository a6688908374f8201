import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatchLimits } from '../../../../src/pulsar/producer/batcher.js';
import type { PendingMessage } from '../../../../src/pulsar/producer/entry.js';

let seq = 0;
const msg = (key?: string, size = 10): PendingMessage => ({
  payload: Buffer.alloc(size),
  sequenceId: seq++,
  resolve: () => {},
  reject: () => {},
  ...(key !== undefined ? { key } : {}),
});

function batcher(limits: Partial<BatchLimits> = {}, pipe = { behind: false }) {
  const emitted: { seqs: number[]; key: string | undefined }[] = [];
  const b = new Batcher(
    { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 10, ...limits },
    {
      emit: (items, key) => emitted.push({ seqs: items.map((m) => m.sequenceId), key }),
      behind: () => pipe.behind,
    },
  );
  return { b, emitted, pipe };
}

/** Let the current turn end (setImmediate callbacks run). */
const turnEnd = () => new Promise<void>((r) => setImmediate(r));

beforeEach(() => {
  seq = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('producer batches', () => {
  it('collect what one turn sends and leave when the turn ends, not after maxDelayMs', async () => {
    const { b, emitted } = batcher({ maxDelayMs: 60_000 });
    b.add(msg());
    b.add(msg());
    b.add(msg());
    expect(emitted).toEqual([]);
    await turnEnd();
    expect(emitted).toEqual([{ seqs: [0, 1, 2], key: undefined }]);
    b.add(msg());
    await turnEnd();
    expect(emitted.map((e) => e.seqs)).toEqual([[0, 1, 2], [3]]);
  });

  it('leave at once when full by count or by bytes', () => {
    const byCount = batcher({ maxMessages: 2 });
    for (let i = 0; i < 5; i++) byCount.b.add(msg());
    expect(byCount.emitted.map((e) => e.seqs)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const byBytes = batcher({ maxBytes: 25 });
    for (let i = 0; i < 4; i++) byBytes.b.add(msg(undefined, 10));
    expect(byBytes.emitted.map((e) => e.seqs.length)).toEqual([3]);
  });

  it('hold one key each: a new key closes the batch', async () => {
    const { b, emitted } = batcher();
    for (const k of ['a', 'a', 'b', 'a']) b.add(msg(k));
    await turnEnd();
    expect(emitted).toEqual([
      { seqs: [0, 1], key: 'a' },
      { seqs: [2], key: 'b' },
      { seqs: [3], key: 'a' },
    ]);
  });

  it('while the pipe is busy, wait until maxDelayMs after the previous batch', async () => {
    const { b, emitted, pipe } = batcher({ maxDelayMs: 40 });
    b.add(msg());
    await turnEnd();
    expect(emitted.map((e) => e.seqs)).toEqual([[0]]);
    pipe.behind = true;
    b.add(msg());
    await turnEnd();
    b.add(msg());
    await turnEnd();
    expect(emitted).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(emitted.map((e) => e.seqs)).toEqual([[0], [1, 2]]);
  });

  it('while the pipe is busy, go as soon as it empties', async () => {
    const { b, emitted, pipe } = batcher({ maxDelayMs: 60_000 });
    b.add(msg());
    await turnEnd();
    pipe.behind = true;
    b.add(msg());
    await turnEnd();
    expect(emitted).toHaveLength(1);
    b.pipeEmpty();
    expect(emitted.map((e) => e.seqs)).toEqual([[0], [1]]);
    b.pipeEmpty(); // nothing held: nothing to send
    expect(emitted).toHaveLength(2);
  });

  it('a busy pipe does not hold a batch when the previous one left maxDelayMs ago', async () => {
    const { b, emitted, pipe } = batcher({ maxDelayMs: 20 });
    b.add(msg());
    await turnEnd();
    await new Promise((r) => setTimeout(r, 30));
    pipe.behind = true;
    b.add(msg());
    await turnEnd();
    expect(emitted.map((e) => e.seqs)).toEqual([[0], [1]]);
  });

  it('flush emits at once; drain hands the messages back without emitting', async () => {
    const { b, emitted } = batcher();
    b.add(msg());
    b.flush();
    expect(emitted.map((e) => e.seqs)).toEqual([[0]]);
    b.add(msg());
    b.add(msg());
    expect(b.drain().map((m) => m.sequenceId)).toEqual([1, 2]);
    expect(b.length).toBe(0);
    await turnEnd();
    expect(emitted).toHaveLength(1);
  });
});
