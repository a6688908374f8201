/**
 * A seeded pseudo-random generator (mulberry32) so every fuzz run can be replayed from its
 * seed. Not for anything cryptographic.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** How many cases a fuzz category runs: the suite's small default, or more via MISO_FUZZ_CASES. */
export function fuzzCases(defaultCount: number): number {
  const n = Number(process.env.MISO_FUZZ_CASES);
  return Number.isInteger(n) && n > 0 ? n : defaultCount;
}

/** The seed of a fuzz run: fixed in the suite, MISO_FUZZ_SEED to replay or explore another. */
export function fuzzSeed(defaultSeed: number): number {
  const n = Number(process.env.MISO_FUZZ_SEED);
  return Number.isInteger(n) ? n : defaultSeed;
}
