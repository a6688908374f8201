import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';
import { sleep } from '../util/wait.js';

/**
 * `miso run <service> --instances N`: N processes of this same program, each `miso run
 * <service>` with its own instance id and port, on one shared database. An instance that dies
 * (kill -9, a crash) is started again after a pause; the outbox slices it held are taken over
 * by the others meanwhile (see `host/outbox-relay.ts`). Stopping the supervisor stops them all
 * gracefully.
 */
export interface SupervisorOptions {
  count: number;
  /** The program and its arguments common to every instance (no --port, --instance-id, --instances). */
  program: string;
  args: string[];
  /** Instance ids are `<baseId>-1`, `<baseId>-2`, ... */
  baseId: string;
  /** First HTTP port; instance i gets basePort + i - 1 (0: any free port for each). */
  basePort: number;
  /** A line an instance printed on stdout (a JSON document with --json). */
  stdout: (id: string, line: string) => void;
  /** Diagnostics: an instance's stderr and the supervisor's own events, prefixed with the id. */
  log: (line: string) => void;
  restartDelayMs?: number;
}

interface Slot {
  id: string;
  port: number;
  child: ChildProcess | undefined;
  restarts: number;
}

export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new UsageError(`--instances must be a whole number from 1, got ${opts.count}`);
    this.slots = Array.from({ length: opts.count }, (_, i) => ({
      id: `${opts.baseId}-${i + 1}`,
      port: opts.basePort === 0 ? 0 : opts.basePort + i,
      child: undefined,
      restarts: 0,
    }));
  }

  start(): void {
    for (const slot of this.slots) this.launch(slot);
  }

  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.slots.map((s) => [s.id, s.child?.pid]));
  }

  private launch(slot: Slot): void {
    const child = spawn(process.execPath, [this.opts.program, ...this.opts.args, '--instance-id', slot.id, '--port', String(slot.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    slot.child = child;
    createInterface({ input: child.stdout! }).on('line', (l) => this.opts.stdout(slot.id, l));
    createInterface({ input: child.stderr! }).on('line', (l) => this.opts.log(`[${slot.id}] ${l}`));
    this.opts.log(`[${slot.id}] started (pid ${child.pid})`);
    child.on('exit', (code, signal) => {
      if (slot.child === child) slot.child = undefined;
      if (this.stopping) return;
      slot.restarts++;
      this.opts.log(`[${slot.id}] exited (${signal ?? `code ${code}`}); starting it again`);
      void sleep(this.opts.restartDelayMs ?? 1000).then(() => {
        if (!this.stopping) this.launch(slot);
      });
    });
  }

  /** SIGTERM to every instance (each stops gracefully), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopping = true;
    const running = this.slots.map((s) => s.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null);
    await Promise.all(
      running.map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** The arguments of this `miso run` without the ones each instance gets its own of. */
export function instanceArgs(argv: readonly string[]): string[] {
  const own = new Set(['--instances', '--port', '--instance-id']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.split('=')[0]!;
    if (own.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
