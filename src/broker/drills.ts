/**
 * What a developer asks of a running cluster besides up/down: who owns each of miso's topics
 * (an admin lookup per topic or partition) and unloading a topic or namespace so its
 * ownership moves. Every call tries each broker in turn, so a killed broker does not blind it,
 * and follows the 307 a non-owner answers with.
 */
import type { ResolvedConfig } from '../config/index.js';
import { TOPICS, topicName } from '../core/topics.js';
import { MisoError, UsageError } from '../errors.js';
import { adminUrls, type ClusterState } from './cluster.js';

/** The settings the drills need. */
export type DrillSettings = Pick<ResolvedConfig, 'adminUrl' | 'tenant' | 'namespace' | 'token'>;

export interface TopicOwner {
  topic: string;
  /** `pulsar://127.0.0.1:6651`, or undefined when the lookup failed. */
  owner?: string;
  /** Name of the cluster process that owns it (`broker-2`), when it is one of ours. */
  process?: string;
  error?: string;
}

export interface UnloadResult {
  target: string;
  kind: 'topic' | 'namespace';
  seconds: number;
  /** The broker asked to take it (`--to`), and the bundles that were unloaded for that. */
  to?: string;
  bundles?: string[];
  /** Unloads it took until the destination broker owned the topic. */
  attempts?: number;
}

const MOVE_ATTEMPTS = 8;

/** Admin base URLs to try: the cluster's brokers when one runs, else the configured admin URL. */
export function adminBases(cfg: Pick<ResolvedConfig, 'adminUrl'>, cluster: ClusterState | undefined): string[] {
  const fromCluster = cluster ? adminUrls(cluster) : [];
  return [...new Set([...fromCluster, cfg.adminUrl])];
}

async function call(bases: string[], method: 'GET' | 'PUT', path: string, token?: string): Promise<Response> {
  let last: unknown;
  for (const base of bases) {
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        redirect: 'follow',
        signal: AbortSignal.timeout(30_000),
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      // A broker that is still starting answers 503: another one may already serve.
      if (res.status >= 500) {
        last = new Error(`HTTP ${res.status} from ${base}`);
        continue;
      }
      return res;
    } catch (err) {
      last = err;
    }
  }
  throw new MisoError(`no broker answered ${method} ${path} (${(last as Error)?.message ?? 'no admin URL'})`, { hint: 'Check `miso broker status`.' });
}

function restPath(topic: string): string {
  const m = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
  if (!m)
    throw new UsageError(`"${topic}" is not a full topic name`, { hint: 'Use persistent://tenant/namespace/topic or a short name such as campaign-events.' });
  return `${m[1]}/${m[2]}/${m[3]}/${encodeURIComponent(m[4]!)}`;
}

/** The broker that owns `topic` now (an authoritative admin lookup). */
export async function lookupOwner(bases: string[], topic: string, token?: string): Promise<string> {
  const res = await call(bases, 'GET', `/lookup/v2/topic/${restPath(topic)}`, token);
  if (!res.ok) throw new MisoError(`lookup of ${topic} failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  const body = (await res.json()) as { brokerUrl?: string };
  if (!body.brokerUrl) throw new MisoError(`lookup of ${topic} named no broker`);
  return body.brokerUrl;
}

async function partitions(bases: string[], topic: string, token?: string): Promise<number> {
  const res = await call(bases, 'GET', `/admin/v2/${restPath(topic)}/partitions`, token);
  if (!res.ok) return 0;
  return ((await res.json()) as { partitions?: number }).partitions ?? 0;
}

/** Owner of each of miso's topics (each partition of a partitioned one). */
export async function topicOwners(cfg: DrillSettings, cluster: ClusterState | undefined): Promise<TopicOwner[]> {
  const bases = adminBases(cfg, cluster);
  const byPort = new Map<number, string>();
  for (const p of cluster?.processes ?? []) if (p.role === 'broker') byPort.set(p.ports.service!, p.name);
  const out: TopicOwner[] = [];
  for (const short of TOPICS) {
    const topic = topicName(cfg, short);
    const n = await partitions(bases, topic, cfg.token).catch(() => 0);
    const names = n > 0 ? Array.from({ length: n }, (_, i) => `${topic}-partition-${i}`) : [topic];
    for (const t of names) {
      try {
        const owner = await lookupOwner(bases, t, cfg.token);
        const port = Number(/:(\d+)\/?$/.exec(owner)?.[1]);
        const process = byPort.get(port);
        out.push({ topic: t, owner, ...(process ? { process } : {}) });
      } catch (err) {
        out.push({ topic: t, error: (err as Error).message });
      }
    }
  }
  return out;
}

/**
 * Unload a topic (short or full name) or a namespace (`tenant/ns`); without a target, the
 * configured namespace. The broker closes it and a (possibly other) broker takes it on the
 * next lookup: the drill for "the topic moved". With `to` (a broker of the local cluster),
 * the bundles holding it are unloaded with that broker as destination, so it really moves
 * (this also moves the other topics of those bundles).
 */
export async function unload(cfg: DrillSettings, cluster: ClusterState | undefined, target?: string, to?: string): Promise<UnloadResult> {
  const t0 = Date.now();
  const bases = adminBases(cfg, cluster);
  const isNamespace = target === undefined || /^[^/:]+\/[^/:]+$/.test(target);
  if (!isNamespace && !target!.includes('://') && target!.includes('/')) {
    throw new UsageError(`"${target}" is neither a topic nor a tenant/namespace`, {
      hint: 'Give a short topic name, persistent://tenant/ns/topic or tenant/namespace.',
    });
  }
  const name = isNamespace ? (target ?? `${cfg.tenant}/${cfg.namespace}`) : topicName(cfg, target!);
  const kind: UnloadResult['kind'] = isNamespace ? 'namespace' : 'topic';
  if (to !== undefined) return unloadTo(bases, cluster, kind, name, to, t0, cfg.token);
  const path = isNamespace ? `/admin/v2/namespaces/${name}/unload` : `/admin/v2/${restPath(name)}/unload`;
  const res = await call(bases, 'PUT', path, cfg.token);
  await refuse(res, kind, name);
  return { target: name, kind, seconds: (Date.now() - t0) / 1000 };
}

async function refuse(res: Response, kind: string, name: string): Promise<void> {
  if (res.status === 404)
    throw new UsageError(`${kind} ${name} does not exist`, {
      hint: kind === 'topic' ? 'Check the name with `miso broker status --topics`.' : 'Run `miso init` first.',
    });
  if (!res.ok) throw new MisoError(`unloading ${kind} ${name} failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

async function unloadTo(
  bases: string[],
  cluster: ClusterState | undefined,
  kind: UnloadResult['kind'],
  name: string,
  to: string,
  t0: number,
  token?: string,
): Promise<UnloadResult> {
  const dest = cluster?.processes.find((p) => p.name === to && p.role === 'broker');
  if (!dest) {
    const names = cluster?.processes
      .filter((p) => p.role === 'broker')
      .map((p) => p.name)
      .join(', ');
    throw new UsageError(`--to ${to} is not a broker of the local cluster`, {
      hint: names ? `Choose one of: ${names}.` : 'Start a cluster with `miso broker up --brokers 2`.',
    });
  }
  const brokerId = `127.0.0.1:${dest.ports.web}`;
  let ns: string;
  let bundles: string[];
  if (kind === 'topic') {
    const res = await call(bases, 'GET', `/lookup/v2/topic/${restPath(name)}/bundle`, token);
    await refuse(res, kind, name);
    bundles = [await res.text()];
    ns = name
      .replace(/^[a-z-]+:\/\//, '')
      .split('/')
      .slice(0, 2)
      .join('/');
  } else {
    const res = await call(bases, 'GET', `/admin/v2/namespaces/${name}/bundles`, token);
    await refuse(res, kind, name);
    const b = ((await res.json()) as { boundaries: string[] }).boundaries;
    bundles = b.slice(1).map((hi, i) => `${b[i]}_${hi}`);
    ns = name;
  }
  // The destination is only a preference, kept by the broker that served the unload and
  // honoured when that broker also assigns the bundle (the load manager's leader may assign it
  // elsewhere). So: unload, let a lookup assign it, and try again while it landed elsewhere.
  const destUrl = `pulsar://127.0.0.1:${dest.ports.service}`;
  const probe = kind === 'topic' ? name : undefined;
  let attempts = 0;
  for (;;) {
    attempts++;
    for (const bundle of bundles) {
      const res = await call(bases, 'PUT', `/admin/v2/namespaces/${ns}/${bundle}/unload?destinationBroker=${encodeURIComponent(brokerId)}`, token);
      await refuse(res, kind, name);
    }
    if (!probe) break;
    const owner = await lookupOwner(bases, probe, token).catch(() => undefined);
    if (owner === destUrl) break;
    if (attempts >= MOVE_ATTEMPTS)
      throw new MisoError(`${name} did not move to ${to} after ${attempts} unloads (now on ${owner ?? 'no broker'})`, {
        hint: 'The load manager chose another broker each time; try again.',
      });
  }
  return { target: name, kind, seconds: (Date.now() - t0) / 1000, to, bundles, attempts };
}
