/**
 * The one duration parser behind every `--since`, `--timeout` and other duration flag, so
 * what one command accepts every command accepts: `250ms`, `30s`, `10m`, `2h`, `1d`, `1w`,
 * decimals (`1.5h`) and combinations (`1h30m`, `1h 30m`).
 */
import { UsageError } from '../../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `text` in milliseconds; a UsageError naming `flag` when it is not a duration. */
export function parseDuration(text: string, flag = '--since'): number {
  const t = text.trim();
  // `min` before `m` and `ms` before `m`/`s`, so the longest unit wins.
  const part = /(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d|w)\s*/gy;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(t); m; m = part.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = part.lastIndex;
  }
  if (t === '' || consumed !== t.length) {
    throw new UsageError(`${flag} "${text}" is not a duration`, { hint: 'Use a number and a unit: 30s, 10m, 2h, 1d (or combined, 1h30m).' });
  }
  return total;
}
