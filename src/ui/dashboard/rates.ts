/**
 * The dashboard's two time series: per-second message counts per topic (rates and the
 * sparkline) and backlog samples per subscription (growing, draining or steady).
 */
import type { RingBuffer } from './ring.js';

/** One minute of per-second counts. */
export const RATE_WINDOW_S = 60;

export type BacklogTrend = 'growing' | 'draining' | 'steady' | 'unknown';

export class RateSeries {
  readonly buckets = new Array<number>(RATE_WINDOW_S).fill(0);
  /** The second (epoch s) of the last bucket. */
  private head = 0;
  total = 0;

  add(nowMs: number, n = 1): void {
    this.advance(nowMs);
    this.buckets[RATE_WINDOW_S - 1]! += n;
    this.total += n;
  }

  advance(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.head === 0) {
      this.head = sec;
      return;
    }
    const shift = sec - this.head;
    if (shift <= 0) return;
    if (shift >= RATE_WINDOW_S) this.buckets.fill(0);
    else {
      this.buckets.copyWithin(0, shift);
      this.buckets.fill(0, RATE_WINDOW_S - shift);
    }
    this.head = sec;
  }

  /** Average over the last `seconds` complete seconds plus the current partial one. */
  rate(nowMs: number, seconds = 5): number {
    this.advance(nowMs);
    const partial = (nowMs % 1000) / 1000;
    let sum = 0;
    for (let i = RATE_WINDOW_S - seconds - 1; i < RATE_WINDOW_S; i++) sum += this.buckets[i]!;
    return sum / (seconds + partial);
  }
}

export interface BacklogSample {
  at: number;
  backlog: number;
}

/** The backlog's direction and speed over the recent samples (at most 15 s back). */
export function backlogTrend(ring: RingBuffer<BacklogSample> | undefined): { trend: BacklogTrend; perSec: number } {
  if (!ring || ring.size < 2) return { trend: 'unknown', perSec: 0 };
  const last = ring.newest()!;
  // Compare with the oldest sample no more than 15 s back, so the trend follows recent change.
  let first = ring.at(0)!;
  for (let i = ring.size - 2; i >= 0; i--) {
    const s = ring.at(i)!;
    if (last.at - s.at > 15_000) break;
    first = s;
  }
  const dt = (last.at - first.at) / 1000;
  const diff = last.backlog - first.backlog;
  const perSec = dt > 0 ? diff / dt : 0;
  return { trend: diff > 0 ? 'growing' : diff < 0 ? 'draining' : 'steady', perSec };
}
