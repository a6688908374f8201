/**
 * A real multi-broker Pulsar cluster on this machine: ZooKeeper, one bookie and N brokers
 * from the same distribution as the standalone, each a detached process with its config,
 * data and log under `<state>/cluster`. `cluster.json` remembers exactly the processes miso
 * started so `down` stops those and nothing else, and the drills (kill, start) act on one.
 *
 * Over the ~400 lines we aim for: the pure layout and config rules are in ./cluster-config.ts;
 * this is the lifecycle of the processes (up in order, readiness, down in reverse, drills),
 * which shares its state file and must change together.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { paths } from '../config/index.js';
import { ProcessError, UsageError } from '../errors.js';
import { isAlive, signalGroup, spawnDetached, stopProcess } from '../util/process.js';
import { waitFor } from '../util/wait.js';
import {
  brokerIds,
  CLUSTER_NAME,
  clusterProcesses,
  clusterServiceUrl,
  jvmEnv,
  processConf,
  type ClusterLayout,
  type ClusterRole,
  type ProcessSpec,
} from './cluster-config.js';
import { resolveDistribution, type BrokerProgress } from './distribution.js';
import { diagnoseStartFailure, dirSize, portFree, readLastLines } from './local.js';

export interface ClusterOptions extends ClusterLayout {
  brokerHeapMb: number;
  version: string;
  pulsarHome: string | undefined;
  readyTimeoutMs?: number;
}

export interface ClusterProcessState extends ProcessSpec {
  pid: number;
  confFile: string;
  logFile: string;
}

export interface ClusterState {
  kind: 'cluster';
  cluster: string;
  home: string;
  version: string;
  layout: ClusterLayout;
  brokerHeapMb: number;
  serviceUrl: string;
  adminUrl: string;
  processes: ClusterProcessState[];
  startedAt: string;
}

export interface ClusterProcessStatus {
  name: string;
  role: ClusterRole;
  pid: number;
  ports: Record<string, number>;
  up: boolean;
  rssMb?: number;
}

export interface ClusterStatus {
  running: boolean;
  ready: boolean;
  cluster?: string;
  version?: string;
  serviceUrl?: string;
  adminUrl?: string;
  processes: ClusterProcessStatus[];
  /** Brokers the admin API lists as active. */
  activeBrokers: string[];
  dataBytes: number;
  dataDir: string;
  startedAt?: string;
}

export class LocalCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly logDir: string;
  private readonly stateFile: string;

  constructor(
    dir = join(paths.stateDir(), 'cluster'),
    private readonly cacheDir = paths.cacheDir(),
  ) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.logDir = join(dir, 'logs');
    this.stateFile = join(dir, 'cluster.json');
  }

  /** What cluster.json says, whether or not its processes still run. */
  state(): ClusterState | undefined {
    if (!existsSync(this.stateFile)) return undefined;
    try {
      return JSON.parse(readFileSync(this.stateFile, 'utf8')) as ClusterState;
    } catch {
      return undefined;
    }
  }

  /** The recorded cluster when at least one of its processes still runs. */
  running(): ClusterState | undefined {
    const s = this.state();
    return s && s.processes.some((p) => isOurProcess(p)) ? s : undefined;
  }

  logFileOf(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  async up(
    opts: ClusterOptions,
    onProgress: (p: BrokerProgress) => void = () => {},
  ): Promise<{ state: ClusterState; alreadyRunning: boolean; seconds: number }> {
    const started = Date.now();
    const specs = clusterProcesses(opts);
    const existing = this.running();
    if (existing) {
      if (existing.layout.brokers !== opts.brokers) {
        throw new UsageError(`a cluster of ${existing.layout.brokers} brokers already runs`, { hint: 'Stop it with `miso broker down` first.' });
      }
      await this.waitReady(existing, opts.readyTimeoutMs ?? 180_000, onProgress);
      return { state: existing, alreadyRunning: true, seconds: (Date.now() - started) / 1000 };
    }
    const dist = await resolveDistribution({ version: opts.version, pulsarHome: opts.pulsarHome, cacheDir: this.cacheDir, onProgress });
    if (dist.kind !== 'local')
      throw new ProcessError('a multi-broker cluster needs the Pulsar distribution, not Docker', {
        hint: 'Set PULSAR_HOME or install Maven so miso can fetch it.',
      });
    for (const s of specs) {
      for (const [what, port] of Object.entries(s.ports)) {
        if (!(await portFree(port))) {
          throw new ProcessError(`port ${port} (${s.name} ${what}) is taken by another process`, {
            hint: 'Stop that process, or choose other base ports (--port, --web-port, --zk-port, --bookie-port).',
          });
        }
      }
    }
    const needMb = 128 + 256 + opts.brokers * opts.brokerHeapMb + 400;
    if (freemem() / 1e6 < needMb) {
      throw new ProcessError(`too little free memory for the cluster (${Math.round(freemem() / 1e6)} MB free, about ${needMb} MB needed)`, {
        hint: 'Close other programs, lower --heap-mb, or use fewer --brokers.',
      });
    }
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(this.dataDir, { recursive: true });
    const state: ClusterState = {
      kind: 'cluster',
      cluster: CLUSTER_NAME,
      home: dist.home,
      version: dist.version,
      layout: { brokers: opts.brokers, servicePort: opts.servicePort, webPort: opts.webPort, zkPort: opts.zkPort, bookiePort: opts.bookiePort },
      brokerHeapMb: opts.brokerHeapMb,
      serviceUrl: clusterServiceUrl(opts),
      adminUrl: `http://127.0.0.1:${opts.webPort}`,
      processes: specs.map((s) => ({ ...s, pid: 0, confFile: join(this.dir, `${s.name}.conf`), logFile: this.logFileOf(s.name) })),
      startedAt: new Date().toISOString(),
    };
    const t0 = Date.now();
    const progress = (): void => onProgress({ stage: 'start', version: state.version, serviceUrl: state.serviceUrl, seconds: (Date.now() - t0) / 1000 });
    try {
      const zk = state.processes[0]!;
      this.spawnProcess(state, zk);
      await waitFor(
        async () => {
          this.assertAlive(zk);
          progress();
          return zkAnswers(opts.zkPort);
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'ZooKeeper to answer', hint: `See ${zk.logFile}.` },
      );
      await this.initializeMetadata(state);
      // The bookie and the brokers start together: brokers need the bookie only for their first ledger.
      for (const p of state.processes.slice(1)) this.spawnProcess(state, p);
      await this.waitReady(state, opts.readyTimeoutMs ?? 180_000, onProgress);
    } catch (err) {
      await this.down().catch(() => {});
      throw err;
    }
    return { state, alreadyRunning: false, seconds: (Date.now() - started) / 1000 };
  }

  /** Cluster metadata in ZooKeeper, once per data directory (a restart reuses it). */
  private async initializeMetadata(state: ClusterState): Promise<void> {
    const marker = join(this.dataDir, 'metadata-initialized');
    if (existsSync(marker)) return;
    const l = state.layout;
    const zk = `zk:127.0.0.1:${l.zkPort}`;
    const log = join(this.logDir, 'initialize-cluster-metadata.log');
    const code = await runToEnd(
      join(state.home, 'bin', 'pulsar'),
      [
        'initialize-cluster-metadata',
        '--cluster',
        CLUSTER_NAME,
        '--metadata-store',
        zk,
        '--configuration-metadata-store',
        zk,
        '--web-service-url',
        `http://127.0.0.1:${l.webPort}`,
        '--broker-service-url',
        `pulsar://127.0.0.1:${l.servicePort}`,
      ],
      log,
      { ...process.env, ...jvmEnv('zookeeper', 0), PULSAR_LOG_DIR: this.logDir },
    );
    if (code !== 0) {
      throw new ProcessError(`initializing the cluster metadata failed (exit ${code})`, { hint: `Last lines of ${log}:\n${readLastLines(log, 10)}` });
    }
    writeFileSync(marker, new Date().toISOString());
  }

  private spawnProcess(state: ClusterState, p: ClusterProcessState): void {
    const base = readFileSync(join(state.home, 'conf', baseConf(p.role)), 'utf8');
    writeFileSync(p.confFile, processConf(p, state.layout, base, this.dataDir), { mode: 0o600 });
    const confVar = { zookeeper: 'PULSAR_ZK_CONF', bookie: 'PULSAR_BOOKKEEPER_CONF', broker: 'PULSAR_BROKER_CONF' }[p.role];
    const child = spawnDetached(join(state.home, 'bin', 'pulsar'), [p.role], {
      logFile: p.logFile,
      env: { ...process.env, ...jvmEnv(p.role, state.brokerHeapMb), [confVar]: p.confFile, PULSAR_LOG_DIR: this.logDir },
    });
    child.child.unref();
    p.pid = child.pid;
    writeFileSync(this.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  }

  private assertAlive(p: ClusterProcessState): void {
    if (isAlive(p.pid)) return;
    const tail = existsSync(p.logFile) ? readLastLines(p.logFile, 15) : '';
    throw new ProcessError(`${p.name} exited during start-up: ${diagnoseStartFailure(tail)}`, { hint: `Last lines of ${p.logFile}:\n${tail}` });
  }

  /**
   * Ready = each broker answers "ready" on its own admin port, every one is listed by
   * `/admin/v2/brokers/<cluster>` and the bookie is registered. The own-port check matters
   * after a kill: the dead broker stays listed until its metadata session expires.
   */
  private async waitReady(state: ClusterState, timeoutMs: number, onProgress: (p: BrokerProgress) => void): Promise<void> {
    const t0 = Date.now();
    const want = brokerIds(state.layout);
    await waitFor(
      async () => {
        for (const p of state.processes) this.assertAlive(p);
        onProgress({ stage: 'start', version: state.version, serviceUrl: state.serviceUrl, seconds: (Date.now() - t0) / 1000 });
        for (const url of adminUrls(state)) if (!(await brokerReady(url))) return false;
        const active = await activeBrokers(state);
        if (!want.every((b) => active.includes(b))) return false;
        return bookieRegistered(state);
      },
      { timeoutMs, intervalMs: 500, what: `all ${want.length} brokers to be listed`, hint: `See \`miso broker logs --process broker-1\` (${this.logDir}).` },
    );
  }

  /** `broker kill <name>`: SIGKILL one process (the drill for a crashed broker). */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): { name: string; pid: number } {
    const { p } = this.find(name);
    if (!isOurProcess(p)) throw new UsageError(`${name} is not running`, { hint: `Start it with \`miso broker start ${name}\`.` });
    signalGroup(p.pid, signal);
    return { name, pid: p.pid };
  }

  /** `broker start <name>`: start one stopped process again with its old config and data; resolves once the cluster is whole. */
  async start(name: string, onProgress: (p: BrokerProgress) => void = () => {}): Promise<{ name: string; pid: number; seconds: number }> {
    const t0 = Date.now();
    const { state, p } = this.find(name);
    if (isOurProcess(p)) throw new UsageError(`${name} is already running (pid ${p.pid})`, { hint: `Stop it first with \`miso broker kill ${name}\`.` });
    for (const [what, port] of Object.entries(p.ports)) {
      await waitFor(() => portFree(port), { timeoutMs: 15_000, intervalMs: 200, what: `port ${port} (${name} ${what}) to be free` });
    }
    this.spawnProcess(state, p);
    await this.waitReady(state, 180_000, onProgress);
    return { name, pid: p.pid, seconds: (Date.now() - t0) / 1000 };
  }

  private find(name: string): { state: ClusterState; p: ClusterProcessState } {
    const state = this.state();
    if (!state) throw new UsageError('no cluster started by miso', { hint: 'Start one with `miso broker up --brokers 2`.' });
    const p = state.processes.find((x) => x.name === name);
    if (!p) throw new UsageError(`no process "${name}" in the cluster`, { hint: `Choose one of: ${state.processes.map((x) => x.name).join(', ')}.` });
    return { state, p };
  }

  /** Stop every process miso started: brokers first (their shutdown needs ZooKeeper), then the bookie, then ZooKeeper. */
  async down(graceMs = 20_000): Promise<{ stopped: string[] }> {
    const state = this.state();
    if (!state) return { stopped: [] };
    const stopped: string[] = [];
    for (const role of ['broker', 'bookie', 'zookeeper'] as const) {
      const group = state.processes.filter((p) => p.role === role && isOurProcess(p));
      await Promise.all(
        group.map(async (p) => {
          await stopProcess(p.pid, { graceMs, group: true });
          stopped.push(p.name);
        }),
      );
    }
    rmSync(this.stateFile, { force: true });
    return { stopped };
  }

  async status(): Promise<ClusterStatus> {
    const state = this.state();
    const base = { dataBytes: dirSize(this.dataDir), dataDir: this.dataDir, processes: [] as ClusterProcessStatus[], activeBrokers: [] as string[] };
    if (!state) return { running: false, ready: false, ...base };
    const processes = state.processes.map((p) => {
      const up = isOurProcess(p);
      const rss = up ? rssMb(p.pid) : undefined;
      return { name: p.name, role: p.role, pid: p.pid, ports: p.ports, up, ...(rss !== undefined ? { rssMb: rss } : {}) };
    });
    const activeBrokersNow = processes.some((p) => p.up) ? await activeBrokers(state) : [];
    return {
      ...base,
      processes,
      activeBrokers: activeBrokersNow,
      running: processes.some((p) => p.up),
      ready: processes.every((p) => p.up) && brokerIds(state.layout).every((b) => activeBrokersNow.includes(b)),
      cluster: state.cluster,
      version: state.version,
      serviceUrl: state.serviceUrl,
      adminUrl: state.adminUrl,
      startedAt: state.startedAt,
    };
  }

  tailLog(name: string, lines: number): string {
    const f = this.logFileOf(name);
    return existsSync(f) ? readLastLines(f, lines) : '';
  }
}

function baseConf(role: ClusterRole): string {
  return role === 'zookeeper' ? 'zookeeper.conf' : role === 'bookie' ? 'bookkeeper.conf' : 'broker.conf';
}

/** Admin URLs of the brokers, any of which may be the one still up. */
export function adminUrls(state: ClusterState): string[] {
  return state.processes.filter((p) => p.role === 'broker').map((p) => `http://127.0.0.1:${p.ports.web}`);
}

/** GET an admin path from the first broker that answers (a killed broker must not blind status). */
export async function adminGet<T>(state: ClusterState, path: string): Promise<T | undefined> {
  for (const url of adminUrls(state)) {
    try {
      const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return (await res.json()) as T;
    } catch {
      /* next broker */
    }
  }
  return undefined;
}

async function brokerReady(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/brokers/ready`, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function activeBrokers(state: ClusterState): Promise<string[]> {
  return (await adminGet<string[]>(state, `/admin/v2/brokers/${state.cluster}`)) ?? [];
}

async function bookieRegistered(state: ClusterState): Promise<boolean> {
  const r = await adminGet<{ bookies?: { bookieId: string }[] }>(state, '/admin/v2/bookies/all');
  return (r?.bookies?.length ?? 0) > 0;
}

/** ZooKeeper's "ruok" four-letter word answers "imok" once it serves clients. */
function zkAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('ruok'));
    sock.on('data', (d) => {
      data += d.toString();
    });
    sock.once('end', () => done(data.includes('imok')));
  });
}

function runToEnd(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  const p = spawnDetached(cmd, args, { logFile, env });
  return new Promise((resolve) => {
    const e = p.exited();
    if (e) return resolve(e.code);
    p.child.once('exit', (code) => resolve(code));
  });
}

/** Alive and still the process we started (its command line names its own config file). */
function isOurProcess(p: { pid: number; confFile: string }): boolean {
  if (!p.pid || !isAlive(p.pid)) return false;
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(p.confFile);
  } catch {
    return !existsSync('/proc');
  }
}

/** Resident memory of a process in MB (Linux; undefined elsewhere). */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
