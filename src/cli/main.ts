import { Config, run, flush, Errors } from '@oclif/core';
import { UsageError } from '../errors.js';
import { formatError, exitCodeOf, oneLineOclifMessage } from '../ui/errors.js';

/** Entry after the launcher: run oclif, and render what oclif itself rejects (unknown commands). */
export async function main(argv: string[]): Promise<void> {
  const config = await Config.load({ root: new URL('../..', import.meta.url).pathname });
  try {
    await run(argv, config);
    await flush();
  } catch (err) {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit ?? 0;
      return;
    }
    let shown: unknown = err;
    const notFound = /command (.+) not found/i.exec(String((err as Error).message));
    if (notFound) {
      const typed = notFound[1]!.replace(/:/g, ' ');
      const guess = closest(
        typed,
        config.commandIDs.map((id) => id.replace(/:/g, ' ')),
      );
      shown = new UsageError(`unknown command "${typed}"`, {
        hint: guess ? `Did you mean \`miso ${guess}\`? Run \`miso --help\` for all commands.` : 'Run `miso --help` for all commands.',
      });
    } else if (err instanceof Errors.CLIError) {
      shown = new UsageError(oneLineOclifMessage(String(err.message)), { hint: 'Run `miso --help` for usage.' });
    }
    process.stderr.write(formatError(shown) + '\n');
    process.exitCode = exitCodeOf(shown);
  }
}

/** The known command nearest to what was typed, if it is near enough to be a typo. */
export function closest(typed: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(typed, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
