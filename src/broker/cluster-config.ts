/**
 * The pure part of the local multi-broker cluster: which process listens where, and the
 * configuration text each one gets. No I/O here, so the layout and the config rules are
 * unit-tested without starting a JVM.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { applyConf } from './local.js';

export type ClusterRole = 'zookeeper' | 'bookie' | 'broker';

export interface ClusterLayout {
  brokers: number;
  /** Binary port of broker-1; broker-k listens on servicePort + k - 1. */
  servicePort: number;
  /** Admin REST port of broker-1; broker-k listens on webPort + k - 1. */
  webPort: number;
  zkPort: number;
  bookiePort: number;
}

export interface ProcessSpec {
  /** "zookeeper", "bookie-1", "broker-1", …: what `broker logs --process` and the drills take. */
  name: string;
  role: ClusterRole;
  /** Every port it binds (checked free before anything starts). */
  ports: Record<string, number>;
}

export const CLUSTER_NAME = 'miso-local';
export const DEFAULT_CLUSTER_LAYOUT = { servicePort: 6650, webPort: 8080, zkPort: 2181, bookiePort: 3181 } as const;

/**
 * A broker that loses its metadata session is declared dead only after this long, and only
 * then may a survivor take its topics. Pulsar's default (30 s) guards against long GC pauses
 * and network partitions between machines; on one machine with small heaps neither happens,
 * so 5 s turns a `kill -9` into a ~5 s move instead of ~30 s.
 */
export const LOCAL_SESSION_TIMEOUT_MS = 5000;

/** The processes of a cluster in start order (ZooKeeper, the bookie, then the brokers). */
export function clusterProcesses(l: ClusterLayout): ProcessSpec[] {
  if (!Number.isInteger(l.brokers) || l.brokers < 2) {
    throw new UsageError(`--brokers must be 2 or more for a cluster (got ${l.brokers})`, { hint: 'Leave --brokers out for the standalone broker.' });
  }
  const specs: ProcessSpec[] = [
    // ZooKeeper and the bookie both default their metrics port to 8000: each gets its own.
    { name: 'zookeeper', role: 'zookeeper', ports: { client: l.zkPort, metrics: l.zkPort + 1 } },
    { name: 'bookie-1', role: 'bookie', ports: { bookie: l.bookiePort, metrics: l.bookiePort + 1 } },
  ];
  for (let k = 1; k <= l.brokers; k++) {
    specs.push({ name: `broker-${k}`, role: 'broker', ports: { service: l.servicePort + k - 1, web: l.webPort + k - 1 } });
  }
  const seen = new Map<number, string>();
  for (const s of specs) {
    for (const p of Object.values(s.ports)) {
      if (p < 1 || p > 65535) throw new UsageError(`port ${p} of ${s.name} is out of range`, { hint: 'Ports are 1-65535; choose lower base ports.' });
      const other = seen.get(p);
      if (other)
        throw new UsageError(`port ${p} would be used by both ${other} and ${s.name}`, {
          hint: 'Choose base ports further apart (--port, --web-port, --zk-port, --bookie-port).',
        });
      seen.set(p, s.name);
    }
  }
  return specs;
}

/** `pulsar://127.0.0.1:6650,127.0.0.1:6651`: every broker, so a client reaches whichever is up. */
export function clusterServiceUrl(l: ClusterLayout): string {
  return `pulsar://${Array.from({ length: l.brokers }, (_, i) => `127.0.0.1:${l.servicePort + i}`).join(',')}`;
}

/** The names brokers register under (`/admin/v2/brokers/<cluster>` lists these). */
export function brokerIds(l: ClusterLayout): string[] {
  return Array.from({ length: l.brokers }, (_, i) => `127.0.0.1:${l.webPort + i}`);
}

/** Configuration text for one process. `base` is the distribution's file; every path is absolute because `bin/pulsar` changes into the install directory. */
export function processConf(spec: ProcessSpec, l: ClusterLayout, base: string, dataDir: string): string {
  const zk = `127.0.0.1:${l.zkPort}`;
  switch (spec.role) {
    case 'zookeeper':
      return applyConf(base, {
        dataDir: join(dataDir, 'zookeeper'),
        clientPort: String(l.zkPort),
        clientPortAddress: '127.0.0.1',
        'admin.enableServer': 'false',
        'metricsProvider.httpPort': String(spec.ports.metrics),
        'metricsProvider.httpHost': '127.0.0.1',
        // One machine, nothing to survive a power loss for: skip the fsync per write.
        forceSync: 'no',
      });
    case 'bookie':
      // bookkeeper.conf keeps the first of duplicate keys, so applyConf replaces them in place.
      return applyConf(base, {
        bookiePort: String(spec.ports.bookie),
        advertisedAddress: '127.0.0.1',
        listeningInterface: 'lo',
        allowLoopback: 'true',
        journalDirectory: join(dataDir, 'bookie', 'journal'),
        ledgerDirectories: join(dataDir, 'bookie', 'ledgers'),
        zkServers: zk,
        httpServerEnabled: 'false',
        prometheusStatsHttpPort: String(spec.ports.metrics),
        prometheusStatsHttpAddress: '127.0.0.1',
        journalSyncData: 'false',
        dbStorage_writeCacheMaxSizeMb: '32',
        dbStorage_readAheadCacheMaxSizeMb: '16',
        dbStorage_rocksDB_blockCacheSize: '16777216',
        gcWaitTime: '60000',
        // The default stops writing at 95 % disk use; a developer's laptop is often fuller.
        diskUsageThreshold: '0.99',
        diskUsageWarnThreshold: '0.98',
      });
    case 'broker':
      return applyConf(base, {
        clusterName: CLUSTER_NAME,
        metadataStoreUrl: `zk:${zk}`,
        configurationMetadataStoreUrl: `zk:${zk}`,
        bindAddress: '127.0.0.1',
        advertisedAddress: '127.0.0.1',
        brokerServicePort: String(spec.ports.service),
        webServicePort: String(spec.ports.web),
        metadataStoreSessionTimeoutMillis: String(LOCAL_SESSION_TIMEOUT_MS),
        // One bookie: every ledger lives on it.
        managedLedgerDefaultEnsembleSize: '1',
        managedLedgerDefaultWriteQuorum: '1',
        managedLedgerDefaultAckQuorum: '1',
        managedLedgerCacheSizeMB: '32',
        brokerDeduplicationEnabled: 'true',
        allowAutoTopicCreation: 'true',
        functionsWorkerEnabled: 'false',
        managedLedgerNewEntriesCheckDelayInMillis: '1',
        numIOThreads: '2',
        numHttpServerThreads: '4',
        brokerShutdownTimeoutMs: '10000',
      });
  }
}

/** JVM memory and GC settings per role: small heaps, G1 (ZGC pre-touches and keeps more resident). */
export function jvmEnv(role: ClusterRole, brokerHeapMb: number): Record<string, string> {
  const heap = role === 'zookeeper' ? 128 : role === 'bookie' ? 256 : brokerHeapMb;
  const mem = `-Xms${heap}m -Xmx${heap}m -XX:MaxDirectMemorySize=${role === 'zookeeper' ? 64 : heap}m`;
  const gc = '-XX:+UseG1GC -XX:+PerfDisableSharedMem -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=64m -Xss512k';
  return role === 'bookie' ? { BOOKIE_MEM: mem, BOOKIE_GC: gc, PULSAR_MEM: mem, PULSAR_GC: gc } : { PULSAR_MEM: mem, PULSAR_GC: gc };
}
