import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaStringHash } from '../../../src/pulsar/partitioned-producer.js';
import { PulsarClient, partitionTopicName } from '../../../src/pulsar/index.js';
import { miso } from '../../support/cli.js';
import { releaseTestCluster, testCluster, type TestCluster } from '../../support/cluster.js';
import { uniqueName, uniqueTopic, waitUntil } from '../../support/env.js';
import { keepConsumedData, longestGap, ownerOf, steadyRun, storedIndexes, unloadTopic } from './support.js';

const INTERVAL_MS = 10;

describe('the client on a 2-broker cluster', () => {
  let tc: TestCluster;
  beforeAll(async () => {
    tc = await testCluster();
    await keepConsumedData(tc);
  }, 300_000);
  afterAll(async () => {
    await releaseTestCluster();
  }, 120_000);

  it('a lookup sent to the broker that does not own the topic is redirected to the owner', async () => {
    const topic = uniqueTopic('redirect');
    const owner = await ownerOf(tc, topic);
    const other = tc.brokerUrl(tc.nameOf(owner) === 'broker-1' ? 'broker-2' : 'broker-1');
    expect(other).not.toBe(owner);
    // The service URL names only the non-owner: the producer must end up on the owner anyway.
    const log: string[] = [];
    const client = new PulsarClient({ serviceUrl: other, log: (l) => log.push(l) });
    try {
      const producer = await client.createProducer({ topic });
      expect(producer.connectedTo).toBe(owner);
      const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'earliest' });
      expect(consumer.connectedTo).toBe(owner);
      await producer.send({ payload: Buffer.from('via redirect') });
      expect((await consumer.receive(10_000))?.payload.toString()).toBe('via redirect');
      expect(log.some((l) => l.startsWith(`connected to ${owner}`))).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a topic unloaded to the other broker under a steady producer and consumer: both follow by themselves, nothing lost, nothing doubled', async () => {
    const topic = uniqueTopic('unload');
    const run = await steadyRun(tc.serviceUrl, topic, 'unload-producer');
    const N = 600;
    let unloadedAt = 0;
    let attempts = 0;
    const before = await ownerOf(tc, topic);
    const target = tc.nameOf(before) === 'broker-1' ? 'broker-2' : 'broker-1';
    await run.send(N, INTERVAL_MS, async (i) => {
      if (i === 200) {
        unloadedAt = Date.now();
        attempts = (await unloadTopic(tc, topic, target)).attempts ?? 0;
      }
    });
    await run.consumed(N, 60_000);
    const after = await ownerOf(tc, topic);
    const producerStall = longestGap(run.sentAt, unloadedAt);
    const consumerStall = longestGap([...run.deliveredAt.values()], unloadedAt);
    if (process.env.MISO_TEST_CLUSTER_LOG) process.stderr.write(run.log.filter((l) => !/resending/.test(l)).join('\n') + '\n');
    process.stderr.write(
      `[cluster] unload: owner ${tc.nameOf(before)} → ${tc.nameOf(after)} (${attempts} unload${attempts === 1 ? '' : 's'}); producer stalled ${producerStall} ms, consumer ${consumerStall} ms; redeliveries ${run.redelivered}\n`,
    );
    // Each index once in the topic, in order: resends after the move were dropped by deduplication.
    expect(await storedIndexes(tc.serviceUrl, topic)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(tc.nameOf(after)).toBe(target);
    expect(run.producer.connectedTo).toBe(after);
    expect(run.consumer.connectedTo).toBe(after);
    expect(run.deliveredAt.size).toBe(N);
    expect(run.redelivered).toBe(0);
    expect(run.log.some((l) => /unload-producer on .* reconnected/.test(l))).toBe(true);
    // About 0.5 s on a warm cluster; a freshly started one on a busy machine took up to 4 s.
    expect(producerStall).toBeLessThan(6000);
    expect(consumerStall).toBeLessThan(6000);
    await run.close();
  }, 180_000);

  it('kill -9 of the owning broker: the topic moves to the survivor and both clients follow, nothing lost, nothing doubled in the topic', async () => {
    const topic = uniqueTopic('kill');
    const run = await steadyRun(tc.serviceUrl, topic, 'kill-producer');
    const N = 1200;
    const victimUrl = await ownerOf(tc, topic);
    const victim = tc.nameOf(victimUrl);
    await waitUntil(() => run.producer.connectedTo === victimUrl && run.consumer.connectedTo === victimUrl, { what: 'both on the owner' });
    let killedAt = 0;
    try {
      await run.send(N, INTERVAL_MS, (i) => {
        if (i === 200) {
          killedAt = Date.now();
          tc.cluster.kill(victim, 'SIGKILL');
        }
      });
      await run.consumed(N, 90_000);
      const survivor = await ownerOf(tc, topic);
      const producerStall = longestGap(run.sentAt, killedAt);
      const consumerStall = longestGap([...run.deliveredAt.values()], killedAt);
      if (process.env.MISO_TEST_CLUSTER_LOG) process.stderr.write(run.log.filter((l) => !/resending/.test(l)).join('\n') + '\n');
      process.stderr.write(
        `[cluster] kill -9 ${victim}: topic now on ${tc.nameOf(survivor)}; producer stalled ${producerStall} ms, consumer ${consumerStall} ms; consumer redeliveries ${run.redelivered}\n`,
      );
      expect(survivor).not.toBe(victimUrl);
      expect(run.producer.connectedTo).toBe(survivor);
      expect(run.consumer.connectedTo).toBe(survivor);
      expect(await storedIndexes(tc.serviceUrl, topic)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(run.deliveredAt.size).toBe(N);
      // Ownership can move only after the dead broker's metadata session (5 s) expires.
      expect(producerStall).toBeGreaterThan(3000);
      expect(producerStall).toBeLessThan(15_000);
      expect(consumerStall).toBeLessThan(15_000);
    } finally {
      await run.close();
      // The next test (and run) needs both brokers again.
      await tc.cluster.start(victim);
    }
  }, 400_000);

  it('partitioned topics end to end: init --partitions, send routes each key like the Java client, tail reads every partition in per-key order', async () => {
    const tenant = uniqueName('parts');
    const ns = ['--service-url', tc.serviceUrl, '--admin-url', tc.adminUrls[0]!, '--tenant', tenant, '--namespace', 'ns'];
    const configDir = mkdtempSync(join(tmpdir(), 'miso-parts-'));
    const env = { MISO_PROFILE: '', PULSAR_SERVICE_URL: '', PULSAR_ADMIN_URL: '', MISO_CONFIG_DIR: configDir, MISO_STATE_DIR: configDir };
    const init = await miso(['init', '--partitions', '3', '--json', ...ns], { env, timeoutMs: 120_000 });
    expect(init.code, init.stderr).toBe(0);
    const report = JSON.parse(init.stdout) as { steps: { name: string; status: string; detail?: string }[] };
    expect(report.steps.find((s) => s.name === 'topic tracking-commands')).toMatchObject({ status: 'created', detail: '3 partitions' });
    // Run again: reported as it is, not re-created.
    const again = await miso(['init', '--partitions', '5', '--json', ...ns], { env, timeoutMs: 120_000 });
    expect(JSON.parse(again.stdout).steps.find((s: { name: string }) => s.name === 'topic tracking-commands')).toMatchObject({
      status: 'exists',
      detail: '3 partitions (asked for 5); left as it is',
    });

    // Four videos for each of six campaigns, interleaved, in one send: the key is the campaign id.
    const campaigns = ['c-alpha', 'c-beta', 'c-gamma', 'c-delta', 'c-epsilon', 'c-zeta'];
    const input =
      [0, 1, 2, 3].flatMap((i) => campaigns.map((c) => JSON.stringify({ campaign_id: c, url: `https://v.example/${c}/${i}`, title: String(i) }))).join('\n') +
      '\n';
    const sent = await miso(['send', 'campaign.add_video', '--file', '-', '--json', ...ns], { env, input, timeoutMs: 60_000 });
    expect(sent.code, sent.stderr).toBe(0);
    // Each key sits on the partition Java's default router (JavaStringHash) would choose.
    const topic = `persistent://${tenant}/ns/campaign-commands`;
    const client = new PulsarClient({ serviceUrl: tc.serviceUrl });
    const onPartition = new Map<string, Set<number>>();
    try {
      for (let p = 0; p < 3; p++) {
        const reader = await client.createReader({ topic: partitionTopicName(topic, p), start: 'earliest' });
        while (await reader.hasMessageAvailable()) {
          const m = (await reader.readNext(10_000))!;
          if (!onPartition.has(m.key!)) onPartition.set(m.key!, new Set());
          onPartition.get(m.key!)!.add(p);
        }
        await reader.close();
      }
    } finally {
      await client.close();
    }
    expect([...onPartition.keys()].sort()).toEqual([...campaigns].sort());
    for (const c of campaigns) expect([...onPartition.get(c)!]).toEqual([javaStringHash(c) % 3]);
    // The keys spread over more than one partition (else the routing proves nothing).
    expect(new Set(campaigns.map((c) => javaStringHash(c) % 3)).size).toBeGreaterThan(1);

    const tail = await miso(['tail', 'campaign-commands', '--no-follow', '--json', ...ns], { env, timeoutMs: 60_000 });
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { payload: { campaign_id: string; title: string } });
    expect(lines).toHaveLength(campaigns.length * 4);
    // Per key, tail shows the messages in the order they were sent.
    for (const c of campaigns) expect(lines.filter((l) => l.payload.campaign_id === c).map((l) => l.payload.title)).toEqual(['0', '1', '2', '3']);
    rmSync(configDir, { recursive: true, force: true });
  }, 300_000);
});
