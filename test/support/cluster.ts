/**
 * The 2-broker test cluster: started once through the same code as `miso broker up --brokers 2`
 * (ZooKeeper, a bookie, two brokers) on ports clear of the shared standalone (6650/8080), and
 * reused by later files and runs while it answers. Its state directory is fixed so a later run
 * (and the drills: kill, start) finds the processes an earlier one started.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type ClusterState } from '../../src/broker/cluster.js';
import { PULSAR_VERSION } from '../../src/broker/distribution.js';
import { paths } from '../../src/config/index.js';

export const TEST_CLUSTER = {
  brokers: 2,
  servicePort: Number(process.env.MISO_TEST_CLUSTER_PORT ?? 6660),
  webPort: Number(process.env.MISO_TEST_CLUSTER_WEB_PORT ?? 8090),
  zkPort: Number(process.env.MISO_TEST_CLUSTER_ZK_PORT ?? 2191),
  bookiePort: Number(process.env.MISO_TEST_CLUSTER_BOOKIE_PORT ?? 3191),
};

export const TEST_CLUSTER_DIR = process.env.MISO_TEST_CLUSTER_DIR ?? join(tmpdir(), 'miso-test-cluster', 'cluster');

export interface TestCluster {
  cluster: LocalCluster;
  state: ClusterState;
  serviceUrl: string;
  /** Binary URL of each broker by process name ("broker-1" → pulsar://127.0.0.1:6660). */
  brokerUrl(name: string): string;
  /** Process name of the broker at this binary URL. */
  nameOf(url: string): string;
  /** Admin URLs of every broker (any may be the one still up). */
  adminUrls: string[];
  /** True when this process started the cluster (and so stops it at the end). */
  startedHere: boolean;
}

let shared: Promise<TestCluster> | undefined;

/** The test cluster, started on the first call of this process and reused after. */
export function testCluster(): Promise<TestCluster> {
  shared ??= open();
  return shared;
}

async function open(): Promise<TestCluster> {
  const cluster = new LocalCluster(TEST_CLUSTER_DIR, paths.cacheDir());
  const t0 = Date.now();
  const r = await cluster.up({ ...TEST_CLUSTER, brokerHeapMb: 256, version: PULSAR_VERSION, pulsarHome: process.env.PULSAR_HOME });
  if (!r.alreadyRunning) process.stderr.write(`[test cluster] ${r.state.serviceUrl} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const brokers = r.state.processes.filter((p) => p.role === 'broker');
  return {
    cluster,
    state: r.state,
    serviceUrl: r.state.serviceUrl,
    brokerUrl: (name) => `pulsar://127.0.0.1:${brokers.find((b) => b.name === name)!.ports.service}`,
    nameOf: (url) => brokers.find((b) => url.endsWith(`:${b.ports.service}`))?.name ?? url,
    adminUrls: brokers.map((b) => `http://127.0.0.1:${b.ports.web}`),
    startedHere: !r.alreadyRunning,
  };
}

/**
 * Stop the cluster when this process started it and nobody asked to keep it
 * (MISO_KEEP_TEST_CLUSTER=1 keeps it for the next run).
 */
export async function releaseTestCluster(): Promise<void> {
  if (!shared) return;
  const tc = await shared.catch(() => undefined);
  if (tc?.startedHere && process.env.MISO_KEEP_TEST_CLUSTER !== '1') await tc.cluster.down();
}
