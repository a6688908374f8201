/**
 * Peers some tests need beside the broker: the Java tools of the Pulsar distribution, the
 * Python pulsar-client in .venv, tmux. Where one is missing, a test block either skips with
 * one line saying why (a developer's machine) or, under CI, fails: CI installs every peer,
 * so a missing one is a broken install, not a reason to pass.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { installedPulsarHome } from '../../src/broker/commands.js';
import { PULSAR_VERSION } from '../../src/broker/distribution.js';
import { IN_CI } from './env.js';

/**
 * Whether a block that needs `name` runs here; use as `describe.skipIf(!requirePeer(...))`.
 * When the peer is missing: under CI a failing test named after it is registered in the
 * current block; elsewhere one line says what is skipped and why.
 */
export function requirePeer(name: string, available: boolean, why: string): boolean {
  if (available) return true;
  if (IN_CI) {
    it(`needs ${name}`, () => {
      throw new Error(`${name} is missing under CI: ${why}`);
    });
  } else {
    process.stderr.write(`[skip] ${name} is missing, its tests are skipped: ${why}\n`);
  }
  return false;
}

/**
 * For extras the project never installs (Docker Compose, a system Node): skipped with one
 * line wherever they are missing, CI included.
 */
export function optionalPeer(name: string, available: boolean, why: string): boolean {
  if (!available) process.stderr.write(`[skip] optional ${name} is missing: ${why}\n`);
  return available;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Pulsar distribution `miso broker up` uses (PULSAR_HOME, else miso's cache), or undefined. */
export function pulsarHome(): string | undefined {
  return installedPulsarHome();
}

export const NO_PULSAR = `no Pulsar ${PULSAR_VERSION} distribution (PULSAR_HOME, or the miso cache under MISO_CACHE_DIR / XDG_CACHE_HOME); \`miso broker up\` fetches it`;

/** The distribution's home, or a failing-or-skipping block (see requirePeer). */
export function requirePulsar(): string | undefined {
  const home = pulsarHome();
  return requirePeer('the Pulsar distribution (Java tools)', home !== undefined, NO_PULSAR) ? home : undefined;
}

/** A tool from the distribution's bin/ (pulsar, pulsar-client, pulsar-admin, pulsar-perf). */
export function pulsarTool(tool: string): string {
  const home = pulsarHome();
  if (!home) throw new Error(NO_PULSAR);
  return join(home, 'bin', tool);
}

/** Run a tool from the distribution's bin/; resolves with exit code and output, never throws on exit code. */
export function runPulsarTool(tool: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  const bin = pulsarTool(tool);
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, env: { ...process.env, PULSAR_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

/** The project's virtualenv Python (scripts/prepare-tests.mjs installs pulsar-client and fastavro there). */
export const PYTHON = join(ROOT, '.venv', 'bin', 'python');

/** Whether the Python client can be imported (not only whether the interpreter exists). */
export function requirePythonClient(): boolean {
  const ok = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pulsar, fastavro'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  return requirePeer('the Python pulsar-client (.venv)', ok, `${PYTHON} cannot import pulsar and fastavro; npm test installs them (scripts/prepare-tests.mjs)`);
}

/** Whether tmux runs here (the real-terminal dashboard tests). */
export function requireTmux(): boolean {
  const ok = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
  return requirePeer('tmux', ok, 'the real-terminal tests drive the dashboard in tmux (apt-get install -y tmux; .ci/run installs it)');
}
