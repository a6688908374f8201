/** What the benchmarks ran on: printed at the top of bench/RESULTS.md. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

function cpuModel() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' });
  const m = /^Model name:\s*(.+)$/m.exec(lscpu.stdout ?? '');
  return (m?.[1] ?? os.cpus()[0]?.model ?? 'unknown').trim();
}

export function machineInfo({ python, adminVersion } = {}) {
  let osName = `${os.type()} ${os.release()}`;
  if (existsSync('/etc/os-release')) {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = `${m[1]} (kernel ${os.release()})`;
  }
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName,
    node: process.version,
    java: firstLine('java', ['-version']) ?? 'not installed',
    pulsar: adminVersion ?? 'unknown',
    pythonClient: python
      ? (firstLine(python, ['-c', 'import pulsar, importlib.metadata as m; print(m.version("pulsar-client"))']) ?? 'not installed')
      : 'not installed',
  };
}
