import { describe, expect, it } from 'vitest';
import { brokerIds, clusterProcesses, clusterServiceUrl, jvmEnv, LOCAL_SESSION_TIMEOUT_MS, processConf } from '../../../src/broker/cluster-config.js';
import { parseServiceUrl } from '../../../src/pulsar/url.js';
import { RecentAcks } from '../../../src/pulsar/consumer/recent-acks.js';
import { javaStringHash, joinOwners } from '../../../src/pulsar/partitioned-producer.js';

const layout = { brokers: 2, servicePort: 6660, webPort: 8090, zkPort: 2191, bookiePort: 3191 };

describe('local cluster layout', () => {
  it('puts ZooKeeper, the bookie and each broker on their own ports, in start order', () => {
    const specs = clusterProcesses(layout);
    expect(specs.map((s) => s.name)).toEqual(['zookeeper', 'bookie-1', 'broker-1', 'broker-2']);
    expect(specs[2]!.ports).toEqual({ service: 6660, web: 8090 });
    expect(specs[3]!.ports).toEqual({ service: 6661, web: 8091 });
    // ZooKeeper and the bookie would both take 8000 for metrics by default.
    expect(specs[0]!.ports.metrics).not.toBe(specs[1]!.ports.metrics);
    expect(clusterServiceUrl(layout)).toBe('pulsar://127.0.0.1:6660,127.0.0.1:6661');
    expect(brokerIds(layout)).toEqual(['127.0.0.1:8090', '127.0.0.1:8091']);
  });

  it('refuses fewer than two brokers and ports that collide, in one line each', () => {
    expect(() => clusterProcesses({ ...layout, brokers: 0 })).toThrow(/--brokers must be 2 or more for a cluster \(got 0\)/);
    expect(() => clusterProcesses({ ...layout, brokers: 1 })).toThrow(/--brokers must be 2 or more/);
    expect(() => clusterProcesses({ ...layout, webPort: 6661 })).toThrow(/port 6661 would be used by both broker-1 and broker-2/);
    expect(() => clusterProcesses({ ...layout, servicePort: 65535 })).toThrow(/port 65536 of broker-2 is out of range/);
  });

  it('writes absolute paths and replaces keys in place (bookkeeper.conf keeps the first of duplicates)', () => {
    const bookie = clusterProcesses(layout)[1]!;
    const base = 'bookiePort=3181\njournalDirectory=data/bookkeeper/journal\nallowLoopback=false\n# listeningInterface=eth0\n';
    const conf = processConf(bookie, layout, base, '/state/cluster/data');
    expect(conf.match(/^bookiePort=.*$/gm)).toEqual(['bookiePort=3191']);
    expect(conf.match(/^allowLoopback=.*$/gm)).toEqual(['allowLoopback=true']);
    expect(conf).toContain('journalDirectory=/state/cluster/data/bookie/journal');
    expect(conf).toContain('prometheusStatsHttpPort=3192');
  });

  it('gives brokers the short metadata session timeout, the one-bookie quorum and deduplication', () => {
    const broker = clusterProcesses(layout)[3]!;
    const conf = processConf(broker, layout, 'metadataStoreSessionTimeoutMillis=30000\nmanagedLedgerDefaultEnsembleSize=2\n', '/d');
    expect(conf).toContain(`metadataStoreSessionTimeoutMillis=${LOCAL_SESSION_TIMEOUT_MS}`);
    expect(conf).toContain('managedLedgerDefaultEnsembleSize=1');
    expect(conf).toContain('brokerServicePort=6661');
    expect(conf).toContain('metadataStoreUrl=zk:127.0.0.1:2191');
    expect(conf).toContain('brokerDeduplicationEnabled=true');
    expect(jvmEnv('broker', 256).PULSAR_MEM).toContain('-Xmx256m');
    expect(jvmEnv('bookie', 256).BOOKIE_GC).toContain('UseG1GC');
  });
});

describe('multi-host service URLs', () => {
  it('lists every broker', () => {
    expect(parseServiceUrl('pulsar://127.0.0.1:6650,127.0.0.1:6651').map((a) => a.url)).toEqual(['pulsar://127.0.0.1:6650', 'pulsar://127.0.0.1:6651']);
    expect(parseServiceUrl('pulsar://a.example,b.example:7000').map((a) => a.port)).toEqual([6650, 7000]);
  });

  it('refuses a malformed host in one line', () => {
    expect(() => parseServiceUrl('pulsar://127.0.0.1:6650,bad host:6651')).toThrow(/"bad host:6651" .* has a malformed host/);
    expect(() => parseServiceUrl('pulsar://127.0.0.1:6650,:6651')).toThrow(/is not host:port/);
    expect(() => parseServiceUrl('pulsar://127.0.0.1:6650,-x:6651')).toThrow(/malformed host/);
  });
});

describe('what a consumer remembers across a move', () => {
  it('keeps the latest acknowledged entries up to its capacity', () => {
    const r = new RecentAcks(3);
    for (let e = 0n; e < 5n; e++) r.add(7n, e);
    expect(r.size).toBe(3);
    expect(r.has(7n, 1n)).toBe(false);
    expect(r.has(7n, 4n)).toBe(true);
  });

  it('names the owners of a partitioned handle only when every part is connected', () => {
    expect(joinOwners(['pulsar://a:1', 'pulsar://b:2', 'pulsar://a:1'])).toBe('pulsar://a:1,pulsar://b:2');
    expect(joinOwners(['pulsar://a:1', undefined])).toBeUndefined();
  });
});

describe('key routing on partitioned topics', () => {
  // Values printed by Java 17 (`(k.hashCode() & Integer.MAX_VALUE)`): the Java client's default
  // HashingScheme is JavaStringHash, so a Java producer and miso agree on every key's partition.
  it('hashes keys exactly like Java String.hashCode, non-ASCII and surrogate pairs included', () => {
    const golden: [string, number][] = [
      ['', 0],
      ['a', 97],
      ['hello', 99162322],
      ['Aa', 2112],
      ['BB', 2112],
      ['campaign-42', 2083738715],
      ['ключ', 33309882],
      ['😀x', 54959989],
      ['c-0000000000000000000000000000000000000001', 679383595],
    ];
    for (const [k, h] of golden) expect(javaStringHash(k)).toBe(h);
  });
});
