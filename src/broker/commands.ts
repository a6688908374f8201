import { join } from 'node:path';
import { localBrokerEnv, paths, ProfileStore, resolveConfig, type ProfileSettings } from '../config/index.js';
import { initCluster, type InitReport, type InitStep } from '../core/init.js';
import { findLocalDistribution, type BrokerProgress } from './distribution.js';
import { LocalCluster, type ClusterState } from './cluster.js';
import { DEFAULT_CLUSTER_LAYOUT } from './cluster-config.js';
import { LocalBroker, DEFAULT_BROKER_OPTIONS, type BrokerState } from './local.js';
import { prepareSecureBroker } from './secure.js';

/** What both `up` requests share: whether to run `miso init`, and where progress goes. */
interface UpHooks {
  /** Run `miso init` against the broker once it is ready (default true). */
  init?: boolean;
  onProgress?: (p: BrokerProgress) => void;
  onInitStep?: (step: InitStep) => void;
}

export interface UpRequest extends UpHooks {
  servicePort: number;
  webPort: number;
  heapMb: number;
  /** TLS on extra ports and JWT authentication, with material generated under the state directory. */
  secure?: { tlsPort: number; webTlsPort: number };
}

export interface UpResult {
  alreadyRunning: boolean;
  seconds: number;
  state: BrokerState;
  profile: string;
  /** The URLs the profile points at (the TLS ones for a secure broker). */
  serviceUrl: string;
  adminUrl: string;
  source?: string;
  init?: InitReport;
  secure?: { caFile: string; adminTokenFile: string; tokensDir: string };
}

/**
 * The Pulsar distribution `miso broker up` would run here, resolved from the same settings
 * (PULSAR_HOME, MISO_PULSAR_VERSION, the cache under MISO_CACHE_DIR / XDG_CACHE_HOME), or
 * undefined when this machine has none yet.
 */
export function installedPulsarHome(): string | undefined {
  const env = localBrokerEnv();
  return findLocalDistribution({ pulsarHome: env.pulsarHome, version: env.pulsarVersion ?? DEFAULT_BROKER_OPTIONS.version, cacheDir: paths.cacheDir() });
}

/** The profile `broker up` writes. */
export const LOCAL_PROFILE = 'local';
const CONNECTION_KEYS = ['serviceUrl', 'adminUrl', 'token', 'tokenFile', 'tlsTrustCertsFile', 'tlsAllowInsecure'] as const;

/**
 * `miso broker up`: start (or find) the local broker, point the `local` profile at it (the
 * default profile when none is chosen yet) and run `miso init` there.
 */
export async function brokerUp(req: UpRequest, broker = new LocalBroker(), store = new ProfileStore()): Promise<UpResult> {
  const env = localBrokerEnv();
  const material = req.secure
    ? await prepareSecureBroker(join(broker.dir, 'secure'), { servicePortTls: req.secure.tlsPort, webServicePortTls: req.secure.webTlsPort })
    : undefined;
  const r = await broker.up(
    {
      servicePort: req.servicePort,
      webPort: req.webPort,
      heapMb: req.heapMb,
      version: env.pulsarVersion ?? DEFAULT_BROKER_OPTIONS.version,
      pulsarHome: env.pulsarHome,
      ...(material ? { confOverrides: material.confOverrides, authToken: material.adminToken } : {}),
    },
    req.onProgress,
  );

  // A secure broker is reached over TLS with the admin token; the profile says so.
  const connection: ProfileSettings = material
    ? {
        serviceUrl: `pulsar+ssl://127.0.0.1:${material.ports.serviceTls}`,
        adminUrl: `https://127.0.0.1:${material.ports.webTls}`,
        tokenFile: material.adminTokenFile,
        tlsTrustCertsFile: material.caFile,
      }
    : { serviceUrl: r.state.serviceUrl, adminUrl: r.state.adminUrl };
  const init = await recordLocalProfile(store, connection, req);
  return {
    alreadyRunning: r.alreadyRunning,
    seconds: r.seconds,
    state: r.state,
    profile: LOCAL_PROFILE,
    serviceUrl: connection.serviceUrl!,
    adminUrl: connection.adminUrl!,
    ...(r.distribution?.kind === 'local' ? { source: r.distribution.source } : {}),
    ...(init ? { init } : {}),
    ...(material ? { secure: { caFile: material.caFile, adminTokenFile: material.adminTokenFile, tokensDir: join(material.dir, 'tokens') } } : {}),
  };
}

export interface ClusterUpRequest extends UpHooks {
  brokers: number;
  servicePort?: number;
  webPort?: number;
  zkPort?: number;
  bookiePort?: number;
  /** Heap of each broker in MB (ZooKeeper and the bookie have fixed small heaps). */
  heapMb?: number;
}

export interface ClusterUpResult {
  alreadyRunning: boolean;
  seconds: number;
  state: ClusterState;
  profile: string;
  serviceUrl: string;
  adminUrl: string;
  init?: InitReport;
}

/**
 * `miso broker up --brokers N`: start (or find) the local cluster, point the `local` profile
 * at every broker (a multi-host service URL) and run `miso init` there.
 */
export async function clusterUp(req: ClusterUpRequest, cluster = new LocalCluster(), store = new ProfileStore()): Promise<ClusterUpResult> {
  const env = localBrokerEnv();
  const r = await cluster.up(
    {
      brokers: req.brokers,
      servicePort: req.servicePort ?? DEFAULT_CLUSTER_LAYOUT.servicePort,
      webPort: req.webPort ?? DEFAULT_CLUSTER_LAYOUT.webPort,
      zkPort: req.zkPort ?? DEFAULT_CLUSTER_LAYOUT.zkPort,
      bookiePort: req.bookiePort ?? DEFAULT_CLUSTER_LAYOUT.bookiePort,
      brokerHeapMb: req.heapMb ?? 256,
      version: env.pulsarVersion ?? DEFAULT_BROKER_OPTIONS.version,
      pulsarHome: env.pulsarHome,
    },
    req.onProgress,
  );
  const connection: ProfileSettings = { serviceUrl: r.state.serviceUrl, adminUrl: r.state.adminUrl };
  const init = await recordLocalProfile(store, connection, req);
  return {
    alreadyRunning: r.alreadyRunning,
    seconds: r.seconds,
    state: r.state,
    profile: LOCAL_PROFILE,
    serviceUrl: r.state.serviceUrl,
    adminUrl: r.state.adminUrl,
    ...(init ? { init } : {}),
  };
}

/**
 * The `local` profile points at what `up` started (other keys of the profile are kept), becomes
 * the current profile when none is chosen, and `miso init` runs against it unless told not to.
 */
async function recordLocalProfile(store: ProfileStore, connection: ProfileSettings, req: UpHooks): Promise<InitReport | undefined> {
  const kept = { ...(store.get(LOCAL_PROFILE) ?? {}) };
  for (const k of CONNECTION_KEYS) delete kept[k];
  store.put(LOCAL_PROFILE, { ...kept, ...connection });
  if (!store.current()) store.use(LOCAL_PROFILE);
  if (req.init === false) return undefined;
  // Flags outrank the environment, so PULSAR_* variables aimed elsewhere cannot redirect init.
  const cfg = resolveConfig({ profile: LOCAL_PROFILE, ...connection }, store);
  return initCluster(cfg, { ...(req.onInitStep ? { onStep: req.onInitStep } : {}) });
}
