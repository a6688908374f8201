import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { waitUntil } from '../../support/env.js';

/**
 * A detached tmux session on a private server socket (so a developer's own tmux is never
 * touched) running one command in a terminal of a given size.
 */
export class TmuxSession {
  readonly socket = `miso-test-${randomBytes(4).toString('hex')}`;
  readonly name = 'dash';

  constructor(
    command: string,
    readonly size: { columns: number; rows: number } = { columns: 160, rows: 50 },
  ) {
    this.tmux(['new-session', '-d', '-s', this.name, '-x', String(size.columns), '-y', String(size.rows), command]);
  }

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Keys as tmux names them: 'j', 'Enter', 'Escape', 'Tab', 'Down', '/', 'q'. */
  keys(...keys: string[]): void {
    for (const k of keys) this.tmux(['send-keys', '-t', this.name, k]);
  }

  /** Literal text typed as it is. */
  type(text: string): void {
    this.tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  /** The screen as plain text, one line per terminal row. */
  capture(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.name]);
  }

  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
  }

  /** Wait until the screen satisfies `check`; the last screen is in the error when it never does. */
  async waitFor(check: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitUntil(
        () => {
          last = this.capture();
          return check(last) ? last : undefined;
        },
        { what, timeoutMs, intervalMs: 100 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- last screen ---\n${last}`, { cause: err });
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

/** A shell word, quoted for tmux's `sh -c`. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
