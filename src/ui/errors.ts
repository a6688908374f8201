import { isMisoError } from '../errors.js';
import { redact } from '../config/index.js';

/**
 * The one place errors become text. A user-fixable error is one line: what is wrong, then
 * what to do. Anything else is a bug and keeps its stack so it can be reported.
 */
export function formatError(err: unknown, opts: { verbose?: boolean } = {}): string {
  if (isMisoError(err)) {
    const line = `miso: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`;
    const cause = opts.verbose && err.cause ? `\n  cause: ${String((err.cause as Error)?.stack ?? err.cause)}` : '';
    return redact(line + cause);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return redact(`miso: internal error: ${e.message}\n${e.stack ?? ''}\nThis is a bug in miso; please report it with the lines above.`);
}

export function exitCodeOf(err: unknown): number {
  return isMisoError(err) ? err.exitCode : 1;
}
