import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../src/broker/cluster.js';
import { clusterDownLine, clusterStatusLines, killLine, unloadLine } from '../../../src/ui/render/broker.js';

const plain = new Chalk({ level: 0 });

describe('cluster text', () => {
  const status: ClusterStatus = {
    running: true,
    ready: false,
    cluster: 'miso-local',
    version: '4.0.8',
    serviceUrl: 'pulsar://127.0.0.1:6650,127.0.0.1:6651',
    adminUrl: 'http://127.0.0.1:8080',
    startedAt: 'then',
    dataBytes: 1_500_000,
    dataDir: '/d',
    activeBrokers: ['127.0.0.1:8080'],
    processes: [
      { name: 'zookeeper', role: 'zookeeper', pid: 10, ports: { client: 2181, metrics: 2182 }, up: true, rssMb: 140 },
      { name: 'broker-2', role: 'broker', pid: 12, ports: { service: 6651, web: 8081 }, up: false },
    ],
  };

  it('lists each process with role, pid, state, memory and ports; a process down makes the cluster degraded', () => {
    expect(clusterStatusLines(status, undefined, plain)).toEqual([
      'Cluster miso-local: degraded — Pulsar 4.0.8, since then',
      '  process    role      pid     state rss     ports',
      '  zookeeper  zookeeper 10      up    140 MB  client 2181, metrics 2182',
      '  broker-2   broker    12      down  -       service 6651, web 8081',
      '  active brokers  127.0.0.1:8080',
      '  service URL     pulsar://127.0.0.1:6650,127.0.0.1:6651',
      '  data            /d (1.5 MB)',
    ]);
  });

  it('names the owner of each topic, or why it is unknown', () => {
    const lines = clusterStatusLines(
      status,
      [
        { topic: 'persistent://t/ns/campaign-events', owner: 'pulsar://127.0.0.1:6651', process: 'broker-2' },
        { topic: 'persistent://t/ns/payment-events', error: 'no broker answered' },
      ],
      plain,
    );
    expect(lines.slice(-3)).toEqual([
      '  topic owners',
      '    persistent://t/ns/campaign-events  broker-2 pulsar://127.0.0.1:6651',
      '    persistent://t/ns/payment-events  ? no broker answered',
    ]);
  });

  it('words down, kill and unload', () => {
    expect(clusterDownLine({ stopped: ['broker-1', 'broker-2', 'bookie-1', 'zookeeper'] }, plain)).toBe('✔ stopped broker-1, broker-2, bookie-1, zookeeper');
    expect(clusterDownLine({ stopped: [] }, plain)).toBe('No cluster started by miso is running.');
    expect(killLine({ name: 'broker-2', pid: 12 }, 'SIGKILL', plain)).toBe('✖ sent SIGKILL to broker-2 (pid 12)');
    expect(unloadLine({ target: 't/ns', kind: 'namespace', seconds: 0.5 }, plain)).toBe('✔ unloaded namespace t/ns in 0.50 s; its next lookup picks an owner');
    expect(
      unloadLine({ target: 'persistent://t/ns/x', kind: 'topic', seconds: 1.25, to: 'broker-2', bundles: ['0x00000000_0x40000000'], attempts: 2 }, plain),
    ).toBe('✔ unloaded topic persistent://t/ns/x (bundle 0x00000000_0x40000000) to broker-2 in 1.25 s');
  });
});
