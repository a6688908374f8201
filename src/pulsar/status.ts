/**
 * Connection status as a typed stream that UI code can observe, plus the backoff policy
 * used by every reconnect loop.
 */
import type { MisoError } from '../errors.js';

export type ConnectionState = 'idle' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Broker address the event is about, when there is one. */
  broker?: string;
  /** What went wrong (on 'disconnected' and failed 'reconnecting' attempts). */
  error?: MisoError | Error;
  /** Reconnect attempt number, counting from 1. */
  attempt?: number;
  /** Delay before the next attempt, in ms. */
  retryInMs?: number;
  /** Wall-clock time of the event (ms since epoch). */
  at: number;
}

export type StatusListener = (status: ConnectionStatus) => void;

/** Current status plus change notifications. `on` returns a function that unsubscribes. */
export class StatusStream implements AsyncIterable<ConnectionStatus> {
  private listeners = new Set<StatusListener>();
  private status: ConnectionStatus = { state: 'idle', at: Date.now() };

  get current(): ConnectionStatus {
    return this.status;
  }

  get state(): ConnectionState {
    return this.status.state;
  }

  on(event: 'status', listener: StatusListener): () => void {
    if (event !== 'status') throw new Error(`unknown status event ${String(event)}`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  off(event: 'status', listener: StatusListener): void {
    if (event === 'status') this.listeners.delete(listener);
  }

  /** Publish a new status (used by the client; listeners that throw are isolated). */
  emit(status: Omit<ConnectionStatus, 'at'>): void {
    if (this.status.state === 'closed') return;
    this.status = { ...status, at: Date.now() };
    for (const l of [...this.listeners]) {
      try {
        l(this.status);
      } catch {
        // A broken observer must not break the client.
      }
    }
  }

  /** Statuses from now on, ending after 'closed'. */
  async *[Symbol.asyncIterator](): AsyncIterator<ConnectionStatus> {
    const queue: ConnectionStatus[] = [];
    let wake: (() => void) | undefined;
    const off = this.on('status', (s) => {
      queue.push(s);
      wake?.();
    });
    try {
      for (;;) {
        while (queue.length > 0) {
          const s = queue.shift()!;
          yield s;
          if (s.state === 'closed') return;
        }
        if (this.status.state === 'closed') return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      off();
    }
  }
}

// The backoff lives with the other waiting helpers; re-exported for the client's modules.
export { Backoff } from '../util/wait.js';
