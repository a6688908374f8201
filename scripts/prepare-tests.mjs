// What the test suite needs beyond npm packages, installed by the project itself so a clean
// clone works: the Python `pulsar-client` (interop tests) in a project-local virtualenv.
// The Pulsar broker itself is fetched and started by the test global setup through the same
// code path as `miso broker up`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const venv = join(root, '.venv');
const python = join(venv, 'bin', 'python');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  return r.status === 0;
}

const hasClient = existsSync(python) && spawnSync(python, ['-c', 'import pulsar, fastavro'], { stdio: 'ignore' }).status === 0;
if (!hasClient) {
  console.error('[prepare-tests] installing the Python pulsar-client into .venv (interop tests)…');
  const ok = (existsSync(python) || run('python3', ['-m', 'venv', venv])) && run(python, ['-m', 'pip', 'install', '--quiet', 'pulsar-client==3.*', 'fastavro']);
  if (!ok) console.error('[prepare-tests] could not install the Python pulsar-client; the Python interop tests will skip, saying so (and fail under CI=true).');
}
