import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../../../src/config/index.js';

/** The unpacked Pulsar distribution (Java tools used as independent witnesses), or undefined. */
export function pulsarHome(): string | undefined {
  const dir = join(paths.cacheDir(), 'pulsar');
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir).filter((d) => d.startsWith('apache-pulsar-') && existsSync(join(dir, d, 'bin', 'pulsar'))).sort();
  const last = found[found.length - 1];
  return last ? join(dir, last) : undefined;
}

/** Run a tool from the distribution's bin/; resolves with exit code and output, never throws on exit code. */
export function runPulsarTool(tool: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  const home = pulsarHome();
  if (!home) throw new Error(`no Pulsar distribution under ${join(paths.cacheDir(), 'pulsar')}`);
  return new Promise((resolve) => {
    execFile(join(home, 'bin', tool), args, { timeout: timeoutMs, env: { ...process.env, PULSAR_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}
