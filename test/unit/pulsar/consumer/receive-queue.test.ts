import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlowPermits, ReceiveQueue } from '../../../../src/pulsar/consumer/receive-queue.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('receive queue', () => {
  it('hands queued items out in arrival order and counts each one taken', async () => {
    const taken: number[] = [];
    const q = new ReceiveQueue<number>({ onTake: (n) => taken.push(n) });
    q.push(1);
    q.push(2);
    q.push(3);
    expect(q.length).toBe(3);
    expect(await q.receive()).toBe(1);
    expect(q.take()).toBe(2);
    expect(await q.receive(0)).toBe(3);
    expect(q.take()).toBeUndefined();
    expect(taken).toEqual([1, 2, 3]);
  });

  it('gives an arriving item to the longest-waiting receiver', async () => {
    const taken: string[] = [];
    const q = new ReceiveQueue<string>({ onTake: (s) => taken.push(s) });
    const first = q.receive();
    const second = q.receive();
    expect(q.waiting).toBe(2);
    q.push('a');
    q.push('b');
    expect(await first).toBe('a');
    expect(await second).toBe('b');
    expect(q.length).toBe(0);
    expect(taken).toEqual(['a', 'b']);
  });

  it('resolves a receive with undefined after its timeout and does not hand it a later item', async () => {
    vi.useFakeTimers();
    const q = new ReceiveQueue<number>();
    const r = q.receive(50);
    vi.advanceTimersByTime(49);
    expect(q.waiting).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await r).toBeUndefined();
    expect(q.waiting).toBe(0);
    q.push(7);
    expect(q.length).toBe(1);
  });

  it('close wakes every receiver with undefined, drops the queue and refuses new items', async () => {
    const q = new ReceiveQueue<number>();
    const waiting = [q.receive(), q.receive(10_000)];
    q.close();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    q.push(1);
    expect(q.length).toBe(0);
    expect(await q.receive()).toBeUndefined();
  });

  it('clear drops queued items and says how many', () => {
    const q = new ReceiveQueue<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.clear()).toBe(5);
    expect(q.take()).toBeUndefined();
  });

  it('wanted() resolves only once a receiver waits, or on close', async () => {
    const q = new ReceiveQueue<number>();
    let wanted = false;
    void q.wanted().then(() => (wanted = true));
    await Promise.resolve();
    expect(wanted).toBe(false);
    const r = q.receive();
    await Promise.resolve();
    expect(wanted).toBe(true);
    await expect(q.wanted()).resolves.toBeUndefined();
    q.push(1);
    expect(await r).toBe(1);
    const later = q.wanted();
    q.close();
    await expect(later).resolves.toBeUndefined();
  });

  it('iterates until closed', async () => {
    const q = new ReceiveQueue<number>();
    q.push(1);
    q.push(2);
    const seen: number[] = [];
    const done = (async () => {
      for await (const n of q) seen.push(n);
    })();
    await new Promise((r) => setImmediate(r));
    q.push(3);
    await new Promise((r) => setImmediate(r));
    q.close();
    await done;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('keeps order across many items (the FIFO compacts its storage)', () => {
    const q = new ReceiveQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.take()!);
    }
    for (let n = q.take(); n !== undefined; n = q.take()) out.push(n);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});

describe('flow permits', () => {
  it('returns freed permits in one grant once half the queue is free', () => {
    const p = new FlowPermits(10);
    expect(p.threshold).toBe(5);
    expect(p.free(1)).toBe(0);
    expect(p.free(3)).toBe(0);
    expect(p.free(1)).toBe(5);
    p.granted(5);
    expect(p.owed).toBe(0);
  });

  it('keeps counting while a grant cannot be sent, and forgets the debt on a fresh subscription', () => {
    const p = new FlowPermits(4);
    expect(p.free(2)).toBe(2);
    expect(p.free(3)).toBe(5);
    expect(p.owed).toBe(5);
    p.reset();
    expect(p.owed).toBe(0);
  });

  it('grants every permit at once for a queue of one', () => {
    const p = new FlowPermits(1);
    expect(p.free(1)).toBe(1);
  });
});
