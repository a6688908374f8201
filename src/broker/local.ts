/**
 * The local standalone broker's lifecycle: `up` (distribution, config, start, readiness),
 * `down` (exactly the process miso started), `status` and `logs`, plus the start-failure
 * diagnosis. Slightly over the ~400 lines we aim for: the standalone's conf lines and its
 * lifecycle change together; the distribution and the process supervision are apart already.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, lstatSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { paths } from '../config/index.js';
import { ProcessError } from '../errors.js';
import { isAlive, spawnDetached, stopProcess, type Detached } from '../util/process.js';
import { waitFor } from '../util/wait.js';
import { PULSAR_VERSION, resolveDistribution, lastLines, type BrokerProgress, type Distribution } from './distribution.js';

export interface BrokerOptions {
  servicePort: number;
  webPort: number;
  heapMb: number;
  version: string;
  pulsarHome: string | undefined;
  /** Extra broker.conf settings (TLS and token authentication for the secure broker). */
  confOverrides?: Record<string, string>;
  /** Header for readiness probes when authentication is on. */
  authToken?: string;
  readyTimeoutMs?: number;
}

/** What `broker.json` remembers about the broker miso started, so `down` stops exactly that one. */
export interface BrokerState {
  kind: 'local' | 'docker';
  pid: number;
  container?: string;
  home: string;
  version: string;
  servicePort: number;
  webPort: number;
  serviceUrl: string;
  adminUrl: string;
  confFile: string;
  logFile: string;
  startedAt: string;
  secure: boolean;
  authToken?: string;
}

export interface BrokerStatus {
  running: boolean;
  ready: boolean;
  pid?: number;
  version?: string;
  serviceUrl?: string;
  adminUrl?: string;
  ports?: { service: number; web: number };
  dataBytes: number;
  dataDir: string;
  logFile: string;
  startedAt?: string;
  secure?: boolean;
}

export const DEFAULT_BROKER_OPTIONS = { servicePort: 6650, webPort: 8080, heapMb: 512, version: PULSAR_VERSION } as const;

/**
 * A real Apache Pulsar standalone on this machine: lean (no functions worker, no stream
 * storage, small heap), data under miso's state directory, listening on 127.0.0.1 only.
 */
export class LocalBroker {
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly stateFile: string;

  constructor(
    dir = join(paths.stateDir(), 'broker'),
    private readonly cacheDir = paths.cacheDir(),
  ) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'logs', 'broker.log');
    this.stateFile = join(dir, 'broker.json');
  }

  /** The broker miso started, if that very process still runs. */
  running(): BrokerState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    let state: BrokerState;
    try {
      state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as BrokerState;
    } catch {
      return undefined;
    }
    if (state.kind === 'docker') return dockerRunning(state.container) ? state : undefined;
    return isOurProcess(state.pid, state.confFile) ? state : undefined;
  }

  async up(
    opts: BrokerOptions,
    onProgress: (p: BrokerProgress) => void = () => {},
  ): Promise<{ state: BrokerState; alreadyRunning: boolean; seconds: number; distribution?: Distribution }> {
    const started = Date.now();
    const existing = this.running();
    if (existing) return { state: existing, alreadyRunning: true, seconds: 0 };

    const dist = await resolveDistribution({ version: opts.version, pulsarHome: opts.pulsarHome, cacheDir: this.cacheDir, onProgress });
    for (const [what, port] of [
      ['binary', opts.servicePort],
      ['admin', opts.webPort],
    ] as const) {
      if (!(await portFree(port))) {
        throw new ProcessError(`port ${port} (Pulsar ${what}) is taken by another process`, {
          hint: `Stop that process, or choose other ports: \`miso broker up --port <p> --web-port <p>\`.`,
        });
      }
    }
    const needMb = opts.heapMb * 2 + 256;
    if (freemem() / 1e6 < needMb) {
      throw new ProcessError(`too little free memory for the broker (${Math.round(freemem() / 1e6)} MB free, about ${needMb} MB needed)`, {
        hint: 'Close other programs, or lower the heap with `miso broker up --heap-mb 256`.',
      });
    }
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    mkdirSync(this.dataDir, { recursive: true });

    const state = dist.kind === 'docker' ? this.startDocker(dist, opts) : this.startLocal(dist.home, dist.version, opts);
    writeFileSync(this.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
    try {
      await this.waitReady(state, opts.readyTimeoutMs ?? 180_000, onProgress);
    } catch (err) {
      await this.down().catch(() => {});
      throw err;
    }
    return { state, alreadyRunning: false, seconds: (Date.now() - started) / 1000, distribution: dist };
  }

  private startLocal(home: string, version: string, opts: BrokerOptions): BrokerState {
    const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
    if (java.error || java.status !== 0) {
      throw new ProcessError('Java is not installed or not on PATH (Pulsar 4.0 needs Java 17 or newer)', {
        hint: 'Install OpenJDK 17 (`apt-get install openjdk-17-jre-headless`) or put its bin directory on PATH.',
      });
    }
    const confFile = join(this.dir, 'standalone.conf');
    const base = readFileSync(join(home, 'conf', 'standalone.conf'), 'utf8');
    writeFileSync(
      confFile,
      applyConf(base, {
        bindAddress: '127.0.0.1',
        advertisedAddress: '127.0.0.1',
        brokerServicePort: String(opts.servicePort),
        webServicePort: String(opts.webPort),
        brokerDeduplicationEnabled: 'true',
        // Consumers waiting at the end of a topic hear of new entries after this delay (default
        // 10 ms): 1 ms takes about 6 ms off every hop of a workflow on a local broker.
        managedLedgerNewEntriesCheckDelayInMillis: '1',
        // Namespaces miso creates refuse auto-creation (see init); public/default keeps it for ad-hoc use.
        allowAutoTopicCreation: 'true',
        ...opts.confOverrides,
      }),
      { mode: 0o600 },
    );
    const heap = `${opts.heapMb}m`;
    let child: Detached;
    try {
      child = spawnDetached(
        join(home, 'bin', 'pulsar'),
        [
          'standalone',
          '--no-functions-worker',
          '--no-stream-storage',
          '-c',
          confFile,
          '--bookkeeper-dir',
          join(this.dataDir, 'bookkeeper'),
          '--metadata-dir',
          join(this.dataDir, 'metadata'),
        ],
        {
          logFile: this.logFile,
          env: {
            ...process.env,
            PULSAR_MEM: `-Xms${heap} -Xmx${heap} -XX:MaxDirectMemorySize=${heap}`,
            PULSAR_LOG_DIR: join(this.dir, 'logs'),
            PULSAR_GC: '-XX:+UseG1GC -XX:+PerfDisableSharedMem',
          },
        },
      );
    } catch {
      throw new ProcessError(`could not start ${join(home, 'bin', 'pulsar')}`, { hint: 'Check the distribution is complete and executable.' });
    }
    child.child.unref();
    const secure = Boolean(opts.confOverrides?.authenticationEnabled === 'true');
    return {
      kind: 'local',
      pid: child.pid,
      home,
      version,
      servicePort: opts.servicePort,
      webPort: opts.webPort,
      serviceUrl: `pulsar://127.0.0.1:${opts.servicePort}`,
      adminUrl: `http://127.0.0.1:${opts.webPort}`,
      confFile,
      logFile: this.logFile,
      startedAt: new Date().toISOString(),
      secure,
      ...(opts.authToken ? { authToken: opts.authToken } : {}),
    };
  }

  private startDocker(dist: Extract<Distribution, { kind: 'docker' }>, opts: BrokerOptions): BrokerState {
    const name = `miso-pulsar-${opts.servicePort}`;
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    const r = spawnSync(
      'docker',
      [
        'run',
        '-d',
        '--name',
        name,
        '-p',
        `127.0.0.1:${opts.servicePort}:6650`,
        '-p',
        `127.0.0.1:${opts.webPort}:8080`,
        '-e',
        `PULSAR_MEM=-Xms${opts.heapMb}m -Xmx${opts.heapMb}m`,
        '-e',
        'PULSAR_PREFIX_brokerDeduplicationEnabled=true',
        dist.image,
        'bash',
        '-c',
        'bin/apply-config-from-env.py conf/standalone.conf && exec bin/pulsar standalone -nfw -nss',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new ProcessError(`docker could not start ${dist.image}: ${lastLines(r.stderr ?? '', 2)}`, {
        hint: 'Check `docker info`, or set PULSAR_HOME / install Maven instead.',
      });
    return {
      kind: 'docker',
      pid: 0,
      container: name,
      home: dist.image,
      version: dist.version,
      servicePort: opts.servicePort,
      webPort: opts.webPort,
      serviceUrl: `pulsar://127.0.0.1:${opts.servicePort}`,
      adminUrl: `http://127.0.0.1:${opts.webPort}`,
      confFile: '',
      logFile: this.logFile,
      startedAt: new Date().toISOString(),
      secure: false,
    };
  }

  /** Ready = the admin REST API answers for a namespace (the broker has loaded its metadata). */
  private async waitReady(state: BrokerState, timeoutMs: number, onProgress: (p: BrokerProgress) => void): Promise<void> {
    const t0 = Date.now();
    await waitFor(
      async () => {
        // Only liveness here: right after spawn the pid may not have exec'd the broker yet.
        if (state.kind === 'local' && !isAlive(state.pid)) {
          const tail = this.tailLog(15);
          throw new ProcessError(`the broker exited during start-up: ${diagnoseStartFailure(tail)}`, {
            hint: `Last lines of ${this.logFile}:\n${tail}`,
          });
        }
        if (await adminAnswers(state.adminUrl, state.authToken)) return true;
        onProgress({ stage: 'start', version: state.version, serviceUrl: state.serviceUrl, seconds: (Date.now() - t0) / 1000 });
        return false;
      },
      { timeoutMs, intervalMs: 250, what: 'the broker to become ready', hint: `See \`miso broker logs\` (${this.logFile}).` },
    );
  }

  /** Stop exactly the broker miso started; wait until its ports are free again. */
  async down(timeoutMs = 60_000): Promise<{ stopped: boolean; pid?: number }> {
    const state = this.running();
    if (!state) {
      rmSync(this.stateFile, { force: true });
      return { stopped: false };
    }
    if (state.kind === 'docker') {
      spawnSync('docker', ['rm', '-f', state.container!], { stdio: 'ignore' });
    } else {
      await stopProcess(state.pid, { graceMs: timeoutMs / 2, group: true });
    }
    // The ports free up a moment after the process is gone; a port still taken then is not ours to wait for.
    await waitFor(async () => (await portFree(state.servicePort)) && (await portFree(state.webPort)), { timeoutMs: timeoutMs / 2, intervalMs: 200 }).catch(
      () => {},
    );
    rmSync(this.stateFile, { force: true });
    return { stopped: true, pid: state.pid };
  }

  async status(): Promise<BrokerStatus> {
    const state = this.running();
    const base = { dataBytes: dirSize(this.dataDir), dataDir: this.dataDir, logFile: this.logFile };
    if (!state) return { running: false, ready: false, ...base };
    return {
      running: true,
      ready: await adminAnswers(state.adminUrl, state.authToken),
      pid: state.pid,
      version: state.version,
      serviceUrl: state.serviceUrl,
      adminUrl: state.adminUrl,
      ports: { service: state.servicePort, web: state.webPort },
      startedAt: state.startedAt,
      secure: state.secure,
      ...base,
    };
  }

  tailLog(lines: number): string {
    if (!existsSync(this.logFile)) return '';
    return readLastLines(this.logFile, lines);
  }
}

/** broker.conf text with each key set: replaced where it stands, appended where it is missing. */
export function applyConf(text: string, overrides: Record<string, string>): string {
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    const m = /^([A-Za-z0-9_.]+)=/.exec(line);
    if (m && m[1]! in overrides) {
      seen.add(m[1]!);
      return `${m[1]}=${overrides[m[1]!]}`;
    }
    return line;
  });
  const missing = Object.keys(overrides)
    .filter((k) => !seen.has(k))
    .map((k) => `${k}=${overrides[k]}`);
  // A file without a final newline would glue the first appended key to its last line.
  return [...lines, ...(missing.length ? ['', '# set by miso', ...missing] : [])].join('\n') + '\n';
}

/** The likely cause of a failed start, read from the last lines of the broker log. */
export function diagnoseStartFailure(logTail: string): string {
  if (/Address already in use|BindException/i.test(logTail))
    return 'a port it needs is already in use (another broker or program); choose other ports with --port/--web-port';
  if (/Could not reserve enough space|Cannot allocate memory|OutOfMemoryError|insufficient memory/i.test(logTail))
    return 'not enough memory; lower the heap with --heap-mb or free memory';
  if (/UnsupportedClassVersionError/i.test(logTail)) return 'Java is too old; Pulsar 4.0 needs Java 17 or newer';
  if (/java: (command )?not found|JAVA_HOME|No such file or directory.*java/i.test(logTail)) return 'Java was not found; install Java 17 or set JAVA_HOME';
  if (/No space left on device/i.test(logTail)) return 'the disk is full';
  if (/LOCK|lock file|Resource temporarily unavailable/i.test(logTail)) return 'another broker uses the same data directory';
  return 'see the log lines below';
}

async function adminAnswers(adminUrl: string, token?: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/namespaces/public/default`, {
      signal: AbortSignal.timeout(2000),
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    return res.ok;
  } catch {
    return false;
  }
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Alive and still the broker we started (a recycled pid running something else does not count). */
function isOurProcess(pid: number, confFile: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(confFile);
  } catch {
    return existsSync('/proc') ? false : true; // no procfs (macOS): trust the pid
  }
}

function dockerRunning(name: string | undefined): boolean {
  if (!name) return false;
  const r = spawnSync('docker', ['inspect', '-f', '{{.State.Running}}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'true';
}

export function dirSize(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e);
    try {
      const st = lstatSync(p);
      total += st.isDirectory() ? dirSize(p) : st.size;
    } catch {
      /* vanished */
    }
  }
  return total;
}

export function readLastLines(file: string, n: number): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').trimEnd().split('\n').slice(-n).join('\n');
  } finally {
    closeSync(fd);
  }
}
