/**
 * A private Pulsar standalone for tests that must stop or restart the broker (the shared
 * development broker is never touched). Own ports, own data dirs, deduplication on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PULSAR_HOME = process.env.PULSAR_HOME ?? '/root/.cache/miso/pulsar/apache-pulsar-4.0.8';

export function pulsarAvailable(): boolean {
  return existsSync(join(PULSAR_HOME, 'bin', 'pulsar'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface OwnBroker {
  serviceUrl: string;
  adminUrl: string;
  dir: string;
  /** Graceful stop (SIGTERM) and start again on the same ports and data. */
  restart(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and delete the data. */
  destroy(): Promise<void>;
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export async function startOwnBroker(extraConf: Record<string, string> = {}, opts: { adminToken?: string; dir?: string } = {}): Promise<OwnBroker> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'miso-own-broker-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const [brokerPort, webPort, bkPort] = (await freePorts(3)) as [number, number, number];
  const conf = {
    brokerServicePort: String(brokerPort),
    webServicePort: String(webPort),
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    brokerDeduplicationEnabled: 'true',
    ...extraConf,
  };
  const base = readFileSync(join(PULSAR_HOME, 'conf', 'standalone.conf'), 'utf8');
  const confFile = join(dir, 'standalone.conf');
  writeFileSync(confFile, `${base}\n${Object.entries(conf).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const adminUrl = `http://127.0.0.1:${webPort}`;
  let proc: ChildProcess | undefined;

  const start = async () => {
    proc = spawn(
      join(PULSAR_HOME, 'bin', 'pulsar'),
      ['standalone', '-nfw', '-nss', '-c', confFile, '--bookkeeper-dir', join(dir, 'bk'), '--metadata-dir', join(dir, 'meta'), '--bookkeeper-port', String(bkPort)],
      {
        cwd: PULSAR_HOME,
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, PULSAR_MEM: '-Xms128m -Xmx512m', PULSAR_LOG_DIR: join(dir, 'logs'), PULSAR_STANDALONE_USE_ZOOKEEPER: '' },
      },
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`own broker exited with ${proc.exitCode}; see ${dir}/logs`);
      try {
        const headers: Record<string, string> = opts.adminToken ? { authorization: `Bearer ${opts.adminToken}` } : {};
        const res = await fetch(`${adminUrl}/admin/v2/namespaces/public`, { signal: AbortSignal.timeout(1000), headers });
        if (res.ok && ((await res.json()) as string[]).includes('public/default')) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`own broker did not start within 120 s; see ${dir}/logs`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 30_000);
    await exited;
    clearTimeout(t);
  };

  await start();
  return {
    serviceUrl: `pulsar://127.0.0.1:${brokerPort}`,
    adminUrl,
    dir,
    start,
    stop,
    async restart(opts = {}) {
      await stop();
      if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      await start();
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
