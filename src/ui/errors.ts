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

/**
 * oclif's parse errors span lines ("Parsing --port \n\tExpected an integer…\nSee more help…");
 * keep every line that says something, joined into one.
 */
export function oneLineOclifMessage(message: string): string {
  const raw = message.split('\n');
  // "Missing 2 required args:\nkey  its description\n     more description\nvalue …" → the names
  // only: they are the lines that start at the margin.
  if (/^Missing \d+ required args?:?$/.test(raw[0]?.trim() ?? '')) {
    const names = raw
      .slice(1)
      .filter((l) => /^\S/.test(l) && !/^See more help/i.test(l))
      .map((l) => l.split(/\s+/)[0]);
    return `${raw[0]!.trim().replace(/:?$/, ':')} ${names.join(', ')}`;
  }
  const lines = raw.map((l) => l.trim()).filter((l) => l !== '' && !/^See more help/i.test(l));
  return (
    lines
      .join(' ')
      .replace(/^Error:\s*/, '')
      .replace(/^Parsing (--[\w-]+)\s*/, '$1: ')
      .replace(/:\s+(?=\S)/, ': ') || 'invalid arguments'
  );
}
