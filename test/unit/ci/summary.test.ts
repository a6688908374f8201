/**
 * scripts/test-summary.mjs prints the line CI reads. Each case runs a real child vitest on a
 * fixture (test/fixtures/summary, outside the suite's include) and feeds its reports to the
 * script: every way a run can fail without a failed test must still show as failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const VITEST = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const CONFIG = join(root, 'test', 'fixtures', 'summary', 'vitest.config.ts');
const SCRIPT = join(root, 'scripts', 'test-summary.mjs');
const work = mkdtempSync(join(tmpdir(), 'miso-summary-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  // The child must not believe it is a worker of this run.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...base, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** vitest on one fixture, then the summary script on its reports (with vitest's exit code, as .ci/run passes it). */
async function summarise(fixture: string): Promise<{ vitestCode: number; lines: string[]; last: string }> {
  const out = join(work, fixture);
  const v = await run(process.execPath, [VITEST, 'run', '--config', CONFIG, `${fixture}.fixture.ts`], { SUMMARY_OUT: out });
  const s = await run(process.execPath, [SCRIPT, '--dir', out, '--exit-code', String(v.code)]);
  expect(s.code, s.out).toBe(0);
  const lines = s.out.trimEnd().split('\n');
  return { vitestCode: v.code, lines, last: lines[lines.length - 1]! };
}

function counts(last: string): { passed: number; failed: number } {
  const m = /^(\d+) passed, (\d+) failed$/.exec(last);
  expect(m, `last line "${last}"`).not.toBeNull();
  return { passed: Number(m![1]), failed: Number(m![2]) };
}

describe('the CI summary line', () => {
  it('counts a clean run as passed with nothing failed', async () => {
    const r = await summarise('clean');
    expect(r.vitestCode).toBe(0);
    expect(r.last).toBe('2 passed, 0 failed');
  });

  it('counts a throwing beforeAll as a failure (vitest itself marks its tests skipped)', async () => {
    const r = await summarise('before-all');
    expect(counts(r.last)).toEqual({ passed: 0, failed: 1 });
    expect(r.lines.join('\n')).toMatch(/file failed: .*before-all\.fixture\.ts/);
  });

  it('counts a file whose import fails (vitest collects no test in it)', async () => {
    const r = await summarise('import-fails');
    expect(counts(r.last)).toEqual({ passed: 0, failed: 1 });
    expect(r.lines.join('\n')).toMatch(/no-such-module/);
  });

  it('counts an error thrown from a timer callback outside any test', async () => {
    const r = await summarise('unhandled-throw');
    expect(counts(r.last)).toEqual({ passed: 1, failed: 1 });
    expect(r.lines.join('\n')).toMatch(/unhandled error outside any test: Error: crash out of a callback/);
  });

  it('counts a promise rejected with nobody listening', async () => {
    const r = await summarise('unhandled-rejection');
    expect(counts(r.last)).toEqual({ passed: 1, failed: 1 });
    expect(r.lines.join('\n')).toMatch(/nobody awaited this/);
  });

  it('counts a missing report as a failure', async () => {
    const s = await run(process.execPath, [SCRIPT, '--dir', join(work, 'never-written')]);
    const lines = s.out.trimEnd().split('\n');
    expect(counts(lines[lines.length - 1]!).failed).toBeGreaterThan(0);
  });

  it('counts a non-zero exit code that no report explains', async () => {
    await summarise('clean');
    const s = await run(process.execPath, [SCRIPT, '--dir', join(work, 'clean'), '--exit-code', '1']);
    expect(s.out.trimEnd().split('\n').pop()).toBe('2 passed, 1 failed');
  });
});
