/**
 * The brokers tests run on, both real Pulsar standalones:
 * - the shared one (global setup): started through the same code path as `miso broker up`
 *   (distribution from PULSAR_HOME, the cache or Maven Central) when none answers already;
 * - private ones, for tests that stop, restart or reconfigure their broker (TLS, token
 *   authentication, deduplication): own ports, own data directory, never the shared broker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBroker } from '../../src/broker/local.js';
import { PULSAR_VERSION } from '../../src/broker/distribution.js';
import { confLines, prepareSecureBroker, type SecureBrokerMaterial } from '../../src/broker/secure.js';
import { paths } from '../../src/config/index.js';
import { brokerProgressText } from '../../src/ui/render/broker.js';
import { TimeoutError } from '../../src/errors.js';
import { sleep, waitFor } from '../../src/util/wait.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL } from './env.js';
import { NO_PULSAR, pulsarHome } from './peers.js';
import { freePorts } from './ports.js';

/** The shared test broker on TEST_SERVICE_URL / TEST_ADMIN_URL; resolves with its stop function. */
export async function startSharedBroker(): Promise<() => Promise<void>> {
  const servicePort = Number(new URL(TEST_SERVICE_URL.replace('pulsar://', 'http://')).port || 6650);
  const webPort = Number(new URL(TEST_ADMIN_URL).port || 8080);
  const broker = new LocalBroker(join(mkdtempSync(join(tmpdir(), 'miso-test-broker-')), 'broker'), paths.cacheDir());
  const t0 = Date.now();
  let last = '';
  await broker.up({ servicePort, webPort, heapMb: 768, version: PULSAR_VERSION, pulsarHome: process.env.PULSAR_HOME }, (p) => {
    const text = brokerProgressText(p);
    const stem = text.replace(/\d+/g, '#');
    if (stem !== last) process.stderr.write(`[test broker] ${text}\n`);
    last = stem;
  });
  process.stderr.write(`[test broker] ready on ${TEST_SERVICE_URL} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return async () => {
    await broker.down();
  };
}

export interface StandaloneOptions {
  /** standalone.conf lines on top of the distribution's (and of the defaults below). */
  conf?: Record<string, string>;
  /** TLS on two extra ports and token authentication + authorization, as `miso broker up --secure`. */
  secure?: boolean;
  /** Data, logs and secure material go here (default: a fresh temporary directory). */
  dir?: string;
  /** Give up starting after this long (ms). */
  timeoutMs?: number;
}

export interface Standalone {
  servicePort: number;
  webPort: number;
  /** Plain URLs (they stay open beside TLS on a secure standalone). */
  serviceUrl: string;
  adminUrl: string;
  dir: string;
  logFile: string;
  /** Set with `secure`: the material, the admin token and the TLS URLs (host localhost, named by the certificate). */
  secure?: { material: SecureBrokerMaterial; serviceUrl: string; adminUrl: string; servicePortTls: number; webPortTls: number };
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** Stop, optionally stay down `downMs`, and start again on the same ports and data. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Stop and delete the data. */
  destroy(): Promise<void>;
}

/**
 * A private standalone, ready once `public/default` exists (the admin API answers before the
 * cluster and its namespaces are registered). Deduplication is on, as miso's services expect.
 */
export async function startStandalone(opts: StandaloneOptions = {}): Promise<Standalone> {
  const home = pulsarHome();
  if (!home) throw new Error(NO_PULSAR);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'miso-standalone-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const [servicePort, webPort, bkPort] = (await freePorts(3)) as [number, number, number];
  let secure: Standalone['secure'];
  let tlsConf: Record<string, string> = {};
  if (opts.secure) {
    const [servicePortTls, webPortTls] = (await freePorts(2)) as [number, number];
    const material = await prepareSecureBroker(join(dir, 'secure'), { servicePortTls, webServicePortTls: webPortTls });
    tlsConf = material.confOverrides;
    secure = { material, servicePortTls, webPortTls, serviceUrl: `pulsar+ssl://localhost:${servicePortTls}`, adminUrl: `https://localhost:${webPortTls}` };
  }
  const conf = join(dir, 'standalone.conf');
  writeFileSync(
    conf,
    `${readFileSync(join(home, 'conf', 'standalone.conf'), 'utf8')}\n${confLines({
      bindAddress: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
      brokerDeduplicationEnabled: 'true',
      ...tlsConf,
      ...opts.conf,
      brokerServicePort: String(servicePort),
      webServicePort: String(webPort),
    })}`,
  );
  const adminUrl = `http://127.0.0.1:${webPort}`;
  const logFile = join(dir, 'broker.out');
  const headers: Record<string, string> = secure ? { authorization: `Bearer ${secure.material.adminToken}` } : {};
  const timeoutMs = opts.timeoutMs ?? 150_000;
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 20_000);
    await gone;
    clearTimeout(timer);
  };

  const start = async (): Promise<void> => {
    const log = openSync(logFile, 'a');
    const p = spawn(
      join(home, 'bin', 'pulsar'),
      [
        'standalone',
        '-nfw',
        '-nss',
        '-c',
        conf,
        '--bookkeeper-dir',
        join(dir, 'bookkeeper'),
        '--metadata-dir',
        join(dir, 'metadata'),
        '--bookkeeper-port',
        String(bkPort),
      ],
      {
        cwd: home,
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          PULSAR_MEM: '-Xms128m -Xmx512m -XX:MaxDirectMemorySize=512m',
          PULSAR_LOG_DIR: join(dir, 'logs'),
          PULSAR_STANDALONE_USE_ZOOKEEPER: '',
        },
      },
    );
    closeSync(log);
    child = p;
    try {
      await waitFor(
        async () => {
          if (p.exitCode !== null) throw new Error(`the test standalone exited (${p.exitCode}) during start-up; see ${logFile}:\n${tail(logFile)}`);
          try {
            const res = await fetch(`${adminUrl}/admin/v2/namespaces/public`, { signal: AbortSignal.timeout(1000), headers });
            return res.ok && ((await res.json()) as string[]).includes('public/default');
          } catch {
            return false; // not listening yet
          }
        },
        { timeoutMs, intervalMs: 250, what: `the test standalone on ${adminUrl}` },
      );
    } catch (err) {
      await stop();
      if (err instanceof TimeoutError) throw new Error(`${err.message}; see ${logFile}:\n${tail(logFile)}`, { cause: err });
      throw err;
    }
  };

  await start();
  return {
    servicePort,
    webPort,
    serviceUrl: `pulsar://127.0.0.1:${servicePort}`,
    adminUrl,
    dir,
    logFile,
    ...(secure ? { secure } : {}),
    start,
    stop,
    async restart(o = {}) {
      await stop();
      if (o.downMs) await sleep(o.downMs);
      await start();
    },
    async destroy() {
      await stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '';
}
