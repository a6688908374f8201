import type { ClientContext } from './context.js';
import { sleep, type Backoff } from '../util/wait.js';

export interface ReconnectOptions {
  ctx: ClientContext;
  /** The producer or consumer reconnecting (the client counts them for its status stream). */
  handle: object;
  backoff: Backoff;
  topic: string;
  /** What to call it in the log, e.g. "producer orders-1" or "consumer sub-a". */
  what: string;
  /** False once the handle was closed meanwhile: stop trying. */
  stillWanted: () => boolean;
  connect: () => Promise<void>;
  /** Called after each failed attempt (a producer fails its pending sends on a permanent error). */
  onFailure?: (err: Error) => void;
}

/** The one reconnect loop producers and consumers share: back off, try, log, until done or closed. */
export async function reconnectWithBackoff(o: ReconnectOptions): Promise<void> {
  const done = o.ctx.reconnecting(o.handle);
  try {
    while (o.stillWanted()) {
      const delay = Math.min(o.backoff.next(), o.ctx.reconnectMaxDelayMs ?? Infinity);
      o.ctx.reportRetry(o.topic, o.backoff.attempts, delay);
      await sleep(delay);
      if (!o.stillWanted()) return;
      try {
        await o.connect();
        o.ctx.log(`${o.what} on ${o.topic} reconnected`);
        return;
      } catch (err) {
        o.ctx.log(`${o.what} on ${o.topic}: reconnect attempt ${o.backoff.attempts} failed: ${(err as Error).message}`);
        o.onFailure?.(err as Error);
      }
    }
  } finally {
    done();
  }
}
