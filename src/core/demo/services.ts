/**
 * The demo's four service processes: each a separate `miso run <service>` with its own
 * database, port and log, started detached so that `miso demo --keep` can leave them
 * running, found again by the next demo, and stopped.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, type ResolvedConfig, type ServiceName } from '../../config/index.js';
import { isAlive, spawnDetached, stopProcess, waitForLine, type Detached } from '../../util/process.js';

export interface DemoService {
  service: ServiceName;
  pid: number;
  url: string;
  log: string;
}

/** A service this demo started (with its process handle), or one a kept run left. */
export interface ServiceProcess extends DemoService {
  proc?: Detached;
}

const MISO_BIN = fileURLToPath(new URL('../../../bin/miso.js', import.meta.url));

/**
 * V8 flags for a service process: a small young generation. Under load the default lets each
 * service grow past 150 MB of RSS; with 4 MB semi-spaces it stays near 110 MB at 500
 * workflows/s and is no slower (bench/workflow). The Dockerfile sets the same in NODE_OPTIONS.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4'];

export interface StartOptions {
  payoutFailureRate?: number;
  timeoutMs?: number;
}

function keptFile(dataDir: string): string {
  return join(dataDir, 'kept-services.json');
}

/** Services a previous `--keep` run left, when all four still run and answer. */
export async function keptServices(dataDir: string): Promise<ServiceProcess[] | undefined> {
  const file = keptFile(dataDir);
  if (!existsSync(file)) return undefined;
  let list: DemoService[];
  try {
    list = JSON.parse(readFileSync(file, 'utf8')) as DemoService[];
  } catch {
    list = [];
  }
  const ok =
    list.length === SERVICES.length && (await Promise.all(list.map(async (s) => isAlive(s.pid) && (await health(s.url)) !== undefined))).every(Boolean);
  if (!ok) {
    rmSync(file, { force: true });
    return undefined;
  }
  return list;
}

/** Remember the services so the next demo uses them; let this process exit without them. */
export function keepServices(dataDir: string, services: ServiceProcess[]): void {
  for (const s of services) s.proc?.child.unref();
  writeFileSync(keptFile(dataDir), JSON.stringify(services.map(serviceInfo), null, 2));
}

export function serviceInfo({ service, pid, url, log }: ServiceProcess): DemoService {
  return { service, pid, url, log };
}

/** The connection flags a `miso run` child needs to reach the same broker and namespace. */
function connectionArgs(cfg: ResolvedConfig, dataDir: string): string[] {
  const conn = ['--service-url', cfg.serviceUrl, '--admin-url', cfg.adminUrl, '--tenant', cfg.tenant, '--namespace', cfg.namespace];
  if (cfg.profile) conn.push('--profile', cfg.profile);
  if (cfg.tlsTrustCertsFile) conn.push('--tls-trust-certs', cfg.tlsTrustCertsFile);
  if (cfg.tlsAllowInsecure) conn.push('--tls-allow-insecure');
  if (cfg.token) {
    // A file, not an argument: arguments are visible to every user of the machine.
    const tokenFile = join(dataDir, '.token');
    writeFileSync(tokenFile, cfg.token, { mode: 0o600 });
    conn.push('--token-file', tokenFile);
  }
  return conn;
}

/**
 * Start the four services on ports the system picks (`--port 0`) and take each one's URL
 * from the `started` line it prints (`--json`: `{"event":"started","port":…,"url":…}`), so
 * there is no race for a port chosen in advance and no polling of /health.
 */
export async function startServices(cfg: ResolvedConfig, dataDir: string, opts: StartOptions): Promise<ServiceProcess[]> {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const conn = connectionArgs(cfg, dataDir);
  const started: ServiceProcess[] = [];
  try {
    const procs = SERVICES.map((service) => {
      const log = join(dataDir, 'logs', `${service}.log`);
      const extra = service === 'payment' && opts.payoutFailureRate ? ['--payout-failure-rate', String(opts.payoutFailureRate)] : [];
      const proc = spawnDetached(
        process.execPath,
        [...SERVICE_NODE_FLAGS, MISO_BIN, 'run', service, '--port', '0', '--json', '--data-dir', dataDir, '--nack-delay-ms', '200', ...conn, ...extra],
        { logFile: log },
      );
      started.push({ service, pid: proc.pid, url: '', log, proc });
      return started.at(-1)!;
    });
    await Promise.all(
      procs.map(async (s) => {
        s.url = await waitForLine(s.proc!, {
          match: startedUrl,
          timeoutMs: opts.timeoutMs ?? 30_000,
          name: `the ${s.service} service`,
          hint: `See its log: ${s.log}`,
        });
      }),
    );
  } catch (err) {
    await stopServices(started);
    throw err;
  }
  return started;
}

/** The URL in a service's JSON `started` line, or undefined for any other line. */
export function startedUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as { event?: unknown; url?: unknown };
    return v.event === 'started' && typeof v.url === 'string' ? v.url : undefined;
  } catch {
    return undefined;
  }
}

/** Stop the services this demo started (not those a kept run left: they are the user's). */
export async function stopServices(services: ServiceProcess[]): Promise<void> {
  await Promise.all(services.filter((s) => s.proc && !s.proc.exited()).map((s) => stopProcess(s.pid, { graceMs: 15_000 })));
}

export async function health(url: string): Promise<{ stats?: Record<string, number> } | undefined> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as { stats?: Record<string, number> };
  } catch {
    return undefined;
  }
}
