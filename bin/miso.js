#!/usr/bin/env node
// The `miso` launcher. It must run on any Node a user may have (these machines ship 20):
// when the running Node is older than 22 it re-launches itself under the Node 24 that the
// optional dependency `node` (the npm package) brings along, in a clone or in a global
// install; if there is none it says so in one line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 22;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

/** The pinned Node binary, wherever npm placed the `node` package (nested or hoisted). */
function pinnedNode() {
  try {
    const bin = join(dirname(createRequire(join(root, 'package.json')).resolve('node/package.json')), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

if (major < MIN_MAJOR) {
  const pinned = pinnedNode();
  if (!pinned || process.env.MISO_RELAUNCHED) {
    process.stderr.write(
      `miso: needs Node ${MIN_MAJOR} or newer, this is ${process.version}. Install Node 24, or reinstall miso with its optional dependencies ` +
        `(\`npm install\` in a clone, \`npm i -g <package> --include=optional\` otherwise), which bring Node 24 along.\n`,
    );
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
