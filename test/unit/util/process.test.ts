import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessError, TimeoutError } from '../../../src/errors.js';
import { isAlive, spawnDetached, stopProcess, waitForLine } from '../../../src/util/process.js';

const dir = mkdtempSync(join(tmpdir(), 'miso-process-'));
const node = (script: string, log: string) => spawnDetached(process.execPath, ['-e', script], { logFile: join(dir, log) });
const started: number[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

describe('process supervision', () => {
  it('isAlive: this process yes, a finished child no, nonsense pids no', async () => {
    expect(isAlive(process.pid)).toBe(true);
    const p = node('process.exit(0)', 'exit.log');
    await new Promise((r) => p.child.once('exit', r));
    expect(isAlive(p.pid)).toBe(false);
    expect(isAlive(0)).toBe(false);
    expect(isAlive(-5)).toBe(false);
  });

  it("isAlive: EPERM (another user's process) counts as alive, ESRCH does not", () => {
    const fail = (code: string) =>
      vi.spyOn(process, 'kill').mockImplementation(() => {
        throw Object.assign(new Error(code), { code });
      });
    fail('EPERM');
    expect(isAlive(4242)).toBe(true);
    vi.restoreAllMocks();
    fail('ESRCH');
    expect(isAlive(4242)).toBe(false);
  });

  it('waitForLine returns what the matching line says, reading only lines written after the start', async () => {
    const log = join(dir, 'started.log');
    writeFileSync(log, '{"event":"started","port":1}\n'); // an earlier run's line: not ours
    const p = spawnDetached(
      process.execPath,
      ['-e', 'console.log("booting"); setTimeout(() => console.log(JSON.stringify({ event: "started", port: 4567 })), 100); setTimeout(() => {}, 10000)'],
      { logFile: log },
    );
    started.push(p.pid);
    const port = await waitForLine(p, {
      match: (l) => (l.startsWith('{') ? (JSON.parse(l) as { port: number }).port : undefined),
      timeoutMs: 10_000,
      name: 'the test child',
    });
    expect(port).toBe(4567);
  });

  it('waitForLine fails at once, naming the child, when it exits before the line', async () => {
    const p = node('console.error("no config"); process.exit(3)', 'dies.log');
    const t0 = Date.now();
    const err = await waitForLine(p, { match: () => undefined, timeoutMs: 20_000, name: 'the payment service', hint: 'See its log.' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as Error).message).toBe('the payment service exited (code 3) while starting');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('waitForLine times out with a named TimeoutError when the line never comes', async () => {
    const p = node('setTimeout(() => {}, 10000)', 'silent.log');
    started.push(p.pid);
    const err = await waitForLine(p, { match: () => undefined, timeoutMs: 300, name: 'the quiet child' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/the quiet child to start/);
  });

  it('stopProcess: TERM, then KILL for a child that ignores TERM; false for one not running', async () => {
    const p = node('process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)', 'stubborn.log');
    started.push(p.pid);
    await waitForLine(p, { match: (l) => (l === 'ready' ? true : undefined), timeoutMs: 10_000, name: 'the stubborn child' });
    const t0 = Date.now();
    expect(await stopProcess(p.pid, { graceMs: 300 })).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(isAlive(p.pid)).toBe(false);
    expect(p.exited()?.signal).toBe('SIGKILL');
    expect(await stopProcess(p.pid, { graceMs: 300 })).toBe(false);
  });
});
