import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { ProcessError } from '../errors.js';

/** The Pulsar LTS line miso runs and tests against (runs on Java 17). */
export const PULSAR_VERSION = '4.0.8';
export const MAVEN_ARTIFACT = (v: string) => `org.apache.pulsar:pulsar-server-distribution:${v}:tar.gz:bin`;
const APPROX_DOWNLOAD_BYTES = 245_000_000;

export type Distribution =
  { kind: 'local'; home: string; version: string; source: 'PULSAR_HOME' | 'cache' | 'maven' } | { kind: 'docker'; image: string; version: string };

/** What `broker up` is busy with, for a progress line (src/ui/render/broker.ts words it). */
export type BrokerProgress =
  | { stage: 'fetch'; version: string; bytes: number; percent: number; seconds: number }
  | { stage: 'unpack'; version: string }
  | { stage: 'cached'; version: string; dir: string; seconds: number }
  | { stage: 'start'; version: string; serviceUrl: string; seconds: number };

export interface ResolveOptions {
  version: string;
  pulsarHome: string | undefined;
  cacheDir: string;
  onProgress?: (p: BrokerProgress) => void;
  /** Only look, never download (for `broker status`). */
  offline?: boolean;
}

/**
 * Where the broker comes from, in this order: PULSAR_HOME; a distribution already unpacked in
 * miso's cache; Maven Central through `mvn`; a Docker engine that answers. Otherwise one error
 * naming the ways.
 */
export async function resolveDistribution(opts: ResolveOptions): Promise<Distribution> {
  if (opts.pulsarHome) {
    if (!existsSync(join(opts.pulsarHome, 'bin', 'pulsar'))) {
      throw new ProcessError(`PULSAR_HOME=${opts.pulsarHome} does not hold a Pulsar distribution (no bin/pulsar)`, {
        hint: 'Point PULSAR_HOME at an unpacked apache-pulsar-4.0.x directory, or unset it to let miso fetch one.',
      });
    }
    return { kind: 'local', home: opts.pulsarHome, version: versionOf(opts.pulsarHome) ?? 'unknown', source: 'PULSAR_HOME' };
  }
  const cached = cachedHome(opts.cacheDir, opts.version);
  if (existsSync(join(cached, 'bin', 'pulsar'))) return { kind: 'local', home: cached, version: opts.version, source: 'cache' };
  if (opts.offline) throw new ProcessError(`Pulsar ${opts.version} is not in the cache (${cached})`, { hint: 'Run `miso broker up` to fetch it.' });

  if (commandWorks('mvn', ['--version'])) {
    await fetchWithMaven(opts);
    return { kind: 'local', home: cached, version: opts.version, source: 'maven' };
  }
  if (commandWorks('docker', ['info', '--format', '{{.ServerVersion}}'], 5000)) {
    return { kind: 'docker', image: `apachepulsar/pulsar:${opts.version}`, version: opts.version };
  }
  throw new ProcessError('no Apache Pulsar distribution available', {
    hint: `Set PULSAR_HOME to an unpacked apache-pulsar-${opts.version}, install Maven (mvn) so miso can fetch ${MAVEN_ARTIFACT(opts.version)} from Maven Central, or start a Docker engine.`,
  });
}

/**
 * The unpacked distribution on this machine that `resolveDistribution` would take first
 * (PULSAR_HOME, then the cache), or undefined; never downloads. For tools that call the
 * Java tools directly (tests, benchmarks).
 */
export function findLocalDistribution(opts: Pick<ResolveOptions, 'version' | 'pulsarHome' | 'cacheDir'>): string | undefined {
  const home = opts.pulsarHome ?? cachedHome(opts.cacheDir, opts.version);
  return existsSync(join(home, 'bin', 'pulsar')) ? home : undefined;
}

export function cachedHome(cacheDir: string, version: string): string {
  return join(cacheDir, 'pulsar', `apache-pulsar-${version}`);
}

/** Download the distribution with Maven (progress from the growing file) and unpack it into the cache. */
async function fetchWithMaven(opts: ResolveOptions): Promise<void> {
  const dir = join(opts.cacheDir, 'pulsar');
  const work = join(dir, `.download-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const tarball = join(work, `pulsar-server-distribution-${opts.version}-bin.tar.gz`);
  const report = opts.onProgress ?? (() => {});
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  report({ stage: 'fetch', version: opts.version, bytes: 0, percent: 0, seconds: 0 });
  const m2 = join(homedir(), '.m2', 'repository', 'org', 'apache', 'pulsar', 'pulsar-server-distribution', opts.version);
  const timer = setInterval(() => {
    const bytes = Math.max(sizeOfDir(m2), sizeOfDir(work));
    const pct = Math.min(99, Math.floor((bytes / APPROX_DOWNLOAD_BYTES) * 100));
    report({ stage: 'fetch', version: opts.version, bytes, percent: pct, seconds: seconds() });
  }, 500);
  try {
    const mvn = await run(
      'mvn',
      ['-B', '-q', 'dependency:copy', `-Dartifact=${MAVEN_ARTIFACT(opts.version)}`, `-DoutputDirectory=${work}`, '-Dtransitive=false'],
      { cwd: work },
    );
    if (mvn.code !== 0 || !existsSync(tarball)) {
      throw new ProcessError(`Maven could not fetch ${MAVEN_ARTIFACT(opts.version)}: ${lastLines(mvn.output, 3)}`, {
        hint: 'Check that Maven reaches Maven Central (settings.xml, proxy), or set PULSAR_HOME to an unpacked distribution.',
      });
    }
    report({ stage: 'unpack', version: opts.version });
    const tar = await run('tar', ['xzf', tarball, '-C', work]);
    if (tar.code !== 0)
      throw new ProcessError(`could not unpack ${tarball}: ${lastLines(tar.output, 3)}`, { hint: 'Check free disk space in the cache directory.' });
    rmSync(tarball);
    // Rename into place last, so a half-unpacked tree is never taken for a distribution.
    renameSync(join(work, `apache-pulsar-${opts.version}`), cachedHome(opts.cacheDir, opts.version));
    report({ stage: 'cached', version: opts.version, dir, seconds: seconds() });
  } finally {
    clearInterval(timer);
    rmSync(work, { recursive: true, force: true });
  }
}

function versionOf(home: string): string | undefined {
  try {
    const jar = readdirSync(join(home, 'lib')).find((f) => /^org\.apache\.pulsar-pulsar-broker-\d/.test(f));
    return jar?.replace(/^org\.apache\.pulsar-pulsar-broker-/, '').replace(/\.jar$/, '');
  } catch {
    return undefined;
  }
}

function commandWorks(cmd: string, args: string[], timeout = 15000): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout });
  return r.status === 0;
}

function sizeOfDir(dir: string): number {
  let total = 0;
  try {
    for (const f of readdirSync(dir)) {
      try {
        total += statSync(join(dir, f)).size;
      } catch {
        /* file vanished mid-scan */
      }
    }
  } catch {
    /* not there yet */
  }
  return total;
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', (err) => resolve({ code: 127, output: String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
