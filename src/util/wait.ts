/**
 * Waiting, polling and retrying: the one place for them. Every layer may import this
 * module; it imports only the error vocabulary. Loops elsewhere in src/ call these instead
 * of writing `new Promise((r) => setTimeout(r, ms))` and their own deadlines.
 */
import { TimeoutError } from '../errors.js';

/** Resolve after `ms`; resolve early (not reject) when `signal` aborts, so callers re-check their own state. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with ±10 % jitter, so many handles do not retry in lockstep. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5_000,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface WaitForOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Pause between checks (ms). Default 100. */
  intervalMs?: number;
  /** What we wait for, for the timeout message: "the broker to answer". */
  what?: string;
  hint?: string;
  signal?: AbortSignal;
}

/**
 * Poll `check` until it returns something other than `undefined`/`false`, and return that.
 * Throws a TimeoutError naming `what` when the deadline passes (or the signal aborts).
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, o: WaitForOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline || o.signal?.aborted) {
      throw new TimeoutError(`gave up waiting for ${o.what ?? 'a condition'} after ${formatMs(o.timeoutMs)}`, o.hint === undefined ? {} : { hint: o.hint });
    }
    await sleep(Math.min(o.intervalMs ?? 100, Math.max(0, deadline - Date.now())), o.signal);
  }
}

export interface RetryOptions {
  backoff?: Backoff;
  /** Stop retrying once the next attempt would start after this long (ms). */
  timeoutMs: number;
  /** Whether `err` is worth another attempt. Default: the error says `retriable: true`. */
  retriable?: (err: unknown) => boolean;
  /** Called before each pause, e.g. to log "retrying in 400 ms". */
  onRetry?: (err: unknown, delayMs: number, attempt: number) => void;
  signal?: AbortSignal;
}

/** Run `fn` until it succeeds, backing off between attempts; rethrow the last error when retrying cannot help. */
export async function retry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const backoff = o.backoff ?? new Backoff();
  const deadline = Date.now() + o.timeoutMs;
  const retriable = o.retriable ?? ((err: unknown) => (err as { retriable?: unknown } | null)?.retriable === true);
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const delay = backoff.next();
      if (!retriable(err) || o.signal?.aborted || Date.now() + delay > deadline) throw err;
      o.onRetry?.(err, delay, backoff.attempts);
      await sleep(delay, o.signal);
    }
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
