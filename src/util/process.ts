/**
 * Supervising child processes that outlive a single call: the local broker and the demo's
 * service processes. Start one detached with its output in a log file, read a line it
 * prints there, ask whether a pid is alive, stop it (TERM, then KILL after a grace period).
 * Lives in util because both src/broker and src/core (the demo) use it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { ProcessError } from '../errors.js';
import { sleep, waitFor } from './wait.js';

/**
 * Whether a process with this pid exists. EPERM means it exists but belongs to another
 * user: alive (a broker started under another account still holds its ports).
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signal the process group `pid` leads (a detached child's own children too), else the pid alone. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

export interface DetachedOptions {
  /** Appended to; the child's stdout and stderr go here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface Detached {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Size of the log before the child started: its own lines come after this offset. */
  logOffset: number;
  /** The exit code or signal once it exited, `undefined` while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Start `command` in its own process group with its output in a log file, so it can outlive
 * the caller (`broker up`, `demo --keep`). The caller `unref`s it when it should.
 */
export function spawnDetached(command: string, args: string[], o: DetachedOptions): Detached {
  const fd = openSync(o.logFile, 'a');
  const logOffset = statSync(o.logFile).size;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let child: ChildProcess;
  try {
    child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], ...(o.env ? { env: o.env } : {}) });
  } finally {
    closeSync(fd);
  }
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  // A spawn failure (ENOENT, EACCES) arrives as an event; without a listener it would crash the caller.
  child.once('error', () => {
    exit ??= { code: null, signal: null };
  });
  if (!child.pid) throw new ProcessError(`could not start ${command}`, { hint: 'Check that it exists and is executable.' });
  return { child, pid: child.pid, logFile: o.logFile, logOffset, exited: () => exit };
}

export interface StartedLineOptions<T> {
  /** The value a line stands for, or undefined for lines that are not the one. */
  match: (line: string) => T | undefined;
  timeoutMs: number;
  /** "the campaign service", for the messages. */
  name: string;
  hint?: string;
  intervalMs?: number;
}

/**
 * Wait until a detached child prints the line `match` recognises in its log (e.g. the
 * `started` line naming the port it bound) and return what `match` made of it. Fails at
 * once when the child exits first.
 */
export async function waitForLine<T>(p: Detached, o: StartedLineOptions<T>): Promise<T> {
  let offset = p.logOffset;
  let partial = '';
  return waitFor(
    () => {
      const fresh = readFrom(p.logFile, offset);
      offset += fresh.length;
      const lines = (partial + fresh.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const v = o.match(line);
        if (v !== undefined) return v;
      }
      const e = p.exited();
      if (e) {
        throw new ProcessError(`${o.name} exited (${e.signal ?? `code ${e.code}`}) while starting`, o.hint === undefined ? {} : { hint: o.hint });
      }
      return undefined;
    },
    { timeoutMs: o.timeoutMs, intervalMs: o.intervalMs ?? 25, what: `${o.name} to start`, ...(o.hint === undefined ? {} : { hint: o.hint }) },
  );
}

function readFrom(file: string, offset: number): Buffer {
  const size = statSync(file).size;
  if (size <= offset) return Buffer.alloc(0);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export interface StopOptions {
  /** How long after SIGTERM before SIGKILL (ms). */
  graceMs: number;
  /** Signal the whole process group (a broker script and the JVM it starts). */
  group?: boolean;
}

/**
 * Stop a process: SIGTERM, SIGKILL when it is still there after the grace period, and
 * return once it is gone. Returns false when it was not running.
 */
export async function stopProcess(pid: number, o: StopOptions): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const send = (sig: NodeJS.Signals): void => {
    if (o.group) signalGroup(pid, sig);
    else {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + o.graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) send('SIGKILL');
  // After SIGKILL the kernel takes it down promptly; our own child is reaped by the event loop.
  while (isAlive(pid)) await sleep(50);
  return true;
}
