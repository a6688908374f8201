import chalk, { Chalk, type ChalkInstance } from 'chalk';
import { noColor, redact } from '../config/index.js';

/**
 * How a command talks to the user. Human output on a TTY, plain lines when piped, JSON
 * with --json. Every string goes through `redact`, so no token is ever printed.
 */
export class Output {
  readonly json: boolean;
  readonly tty: boolean;
  readonly verbose: boolean;
  readonly color: ChalkInstance;

  constructor(opts: { json?: boolean; verbose?: boolean; stream?: NodeJS.WriteStream } = {}) {
    const stream = opts.stream ?? process.stdout;
    this.json = opts.json ?? false;
    this.tty = Boolean(stream.isTTY);
    this.verbose = opts.verbose ?? false;
    this.color = new Chalk({ level: this.tty && !noColor() ? chalk.level || 1 : 0 });
  }

  /** A line for humans (suppressed with --json, where only the JSON document is printed). */
  line(text = ''): void {
    if (!this.json) process.stdout.write(redact(text) + '\n');
  }

  /** A progress or diagnostic line on stderr; never mixes with JSON on stdout. */
  info(text: string): void {
    process.stderr.write(redact(text) + '\n');
  }

  debug(text: string): void {
    if (this.verbose) process.stderr.write(redact(`[debug] ${text}`) + '\n');
  }

  /** One JSON document (or one NDJSON line). */
  data(value: unknown): void {
    process.stdout.write(redact(JSON.stringify(value, jsonReplacer)) + '\n');
  }

  /** JSON when --json, otherwise the human rendering. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.data(value);
    else human();
  }
}

/** BigInt and Buffer values appear in decoded messages; JSON has neither. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
