import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../../src/errors.js';
import { Backoff, retry, sleep, waitFor } from '../../../src/util/wait.js';

describe('wait helpers', () => {
  it('backoff doubles, is capped and jittered within ±10 %', () => {
    const b = new Backoff(100, 1_000);
    const delays = Array.from({ length: 6 }, () => b.next());
    const bases = [100, 200, 400, 800, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i]! * 0.9);
      expect(d).toBeLessThanOrEqual(bases[i]! * 1.1);
    });
    expect(b.attempts).toBe(6);
    b.reset();
    expect(b.attempts).toBe(0);
  });

  it('sleep ends early when its signal aborts', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 20);
    await sleep(5_000, ac.signal);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('waitFor returns the first truthy value and times out with a named TimeoutError', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? `after ${n}` : undefined), { timeoutMs: 2_000, intervalMs: 5 })).resolves.toBe('after 3');
    const err = await waitFor(() => false, { timeoutMs: 50, intervalMs: 10, what: 'the broker to answer' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain('the broker to answer');
  });

  it('retry retries retriable errors, rethrows the others at once', async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls < 3) throw Object.assign(new Error('busy'), { retriable: true });
        return 'ok';
      },
      { timeoutMs: 5_000, backoff: new Backoff(1, 5) },
    );
    expect([value, calls]).toEqual(['ok', 3]);
    let fatalCalls = 0;
    await expect(
      retry(
        async () => {
          fatalCalls++;
          throw new Error('fatal');
        },
        { timeoutMs: 5_000, backoff: new Backoff(1, 5) },
      ),
    ).rejects.toThrow('fatal');
    expect(fatalCalls).toBe(1);
  });
});
