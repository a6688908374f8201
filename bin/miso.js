#!/usr/bin/env node
// The `miso` launcher. It must run on any Node a user may have (these machines ship 20):
// when the running Node is older than 22 it re-launches itself under the Node pinned in
// node_modules (the npm package `node`), and if there is none it says so in one line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 22;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < MIN_MAJOR) {
  const pinned = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')].find((p) => existsSync(p));
  if (!pinned || process.env.MISO_RELAUNCHED) {
    process.stderr.write(`miso: needs Node ${MIN_MAJOR} or newer, this is ${process.version} — run \`npm install\` in ${root} (it pins Node 24) or install Node 24.\n`);
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MISO_RELAUNCHED: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv.slice(2));
}
