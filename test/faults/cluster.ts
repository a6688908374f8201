/**
 * A sandboxed miso installation for fault and security runs: its own state and config
 * directories, its own broker started and stopped with `miso broker up/down` on free ports
 * (never the shared development broker), and the services as `miso run` processes that can be
 * killed, paused and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backoff, retry } from '../../src/util/wait.js';
import { miso, MISO_BIN, type CliResult } from '../support/cli.js';
import { freePorts } from '../support/ports.js';

export interface Sandbox {
  root: string;
  /** Environment of every miso process of this sandbox. */
  env: Record<string, string>;
  servicePort: number;
  webPort: number;
  serviceUrl: string;
  adminUrl: string;
  tenant: string;
  namespace: string;
  /** --service-url/--admin-url/--tenant/--namespace for commands. */
  flags: string[];
  dataDir: string;
  /** Run `miso` in this sandbox. */
  run(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  remove(): void;
}

/** A sandbox; with `serviceUrl`/`adminUrl` it uses a broker that already runs instead of its own. */
export async function createSandbox(
  prefix: string,
  opts: { tenant?: string; namespace?: string; serviceUrl?: string; adminUrl?: string } = {},
): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), `miso-${prefix}-`));
  const [servicePort, webPort] = (await freePorts(2)) as [number, number];
  const env = {
    MISO_STATE_DIR: join(root, 'state'),
    MISO_CONFIG_DIR: join(root, 'config'),
    NO_COLOR: '1',
    // Nothing from the developer's shell may point these runs elsewhere.
    PULSAR_SERVICE_URL: '',
    PULSAR_ADMIN_URL: '',
    PULSAR_TOKEN: '',
    PULSAR_TOKEN_FILE: '',
    MISO_PROFILE: '',
  };
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const tenant = opts.tenant ?? `${prefix}-${Date.now().toString(36)}`;
  const namespace = opts.namespace ?? 'ns';
  const serviceUrl = opts.serviceUrl ?? `pulsar://127.0.0.1:${servicePort}`;
  const adminUrl = opts.adminUrl ?? `http://127.0.0.1:${webPort}`;
  return {
    root,
    env,
    servicePort,
    webPort,
    serviceUrl,
    adminUrl,
    tenant,
    namespace,
    dataDir,
    flags: ['--service-url', serviceUrl, '--admin-url', adminUrl, '--tenant', tenant, '--namespace', namespace],
    run: (args, o = {}) => miso(args, { env: { ...env, ...o.env }, ...(o.input !== undefined ? { input: o.input } : {}), timeoutMs: o.timeoutMs ?? 120_000 }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** `miso broker up` on the sandbox ports; resolves with the seconds it took. */
export async function brokerUp(sb: Sandbox, extra: string[] = []): Promise<{ seconds: number; json: Record<string, unknown> }> {
  const r = await sb.run(['broker', 'up', '--port', String(sb.servicePort), '--web-port', String(sb.webPort), '--heap-mb', '384', '--json', ...extra], {
    timeoutMs: 240_000,
  });
  if (r.code !== 0) throw new Error(`miso broker up failed (${r.code}): ${r.stderr}`);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  return { seconds: Number(json.seconds), json };
}

export async function brokerDown(sb: Sandbox): Promise<void> {
  const r = await sb.run(['broker', 'down', '--json'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`miso broker down failed (${r.code}): ${r.stderr}`);
}

/**
 * `miso init` in the sandbox. A broker just started on a loaded machine can take longer than
 * the admin client's 15 s to create the first topics; init is idempotent, so a timed-out
 * attempt is simply run again.
 */
export async function initScope(sb: Sandbox): Promise<void> {
  await retry(
    async () => {
      const r = await sb.run(['init', ...sb.flags]);
      if (r.code !== 0)
        throw Object.assign(new Error(`miso init failed (${r.code}): ${r.stdout}\n${r.stderr}`), { retriable: /did not answer within/.test(r.stderr) });
    },
    { timeoutMs: 120_000, backoff: new Backoff(1000, 5000) },
  );
}

/** One `miso run <service>` process. */
export class ServiceProcess {
  child: ChildProcess | undefined;
  url = '';
  log = '';
  starts = 0;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly service: string,
    private readonly sb: Sandbox,
    private readonly args: () => string[],
  ) {}

  /** Start and wait for its `started` line; resolves with the milliseconds it took. */
  async start(timeoutMs = 60_000): Promise<number> {
    const t0 = Date.now();
    const child = spawn(process.execPath, [MISO_BIN, 'run', this.service, '--json', '--port', '0', ...this.sb.flags, ...this.args()], {
      env: { ...process.env, ...this.sb.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.service} did not start in ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          try {
            const ev = JSON.parse(line) as { event?: string; url?: string };
            if (ev.event === 'started' && ev.url) {
              clearTimeout(timer);
              resolve(ev.url);
            }
          } catch {
            /* a partial or non-JSON line */
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.service} exited with ${code} before starting\n${this.tail()}`));
      });
    });
    return Date.now() - t0;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill9(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM: the graceful path. */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.child?.exitCode ?? null;
    this.child!.kill('SIGCONT');
    this.child!.kill('SIGTERM');
    return this.exited;
  }

  async health(): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.text();
  }

  tail(lines = 15): string {
    return this.log.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Sum of a Prometheus counter over every label set. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}
