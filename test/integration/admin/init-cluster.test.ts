import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/index.js';
import { initCluster, type InitStep } from '../../../src/core/init.js';
import { AdminClient, AdminError } from '../../../src/pulsar/admin.js';
import { TOPICS, topicName } from '../../../src/core/topics.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { requirePulsar, runPulsarTool } from '../../support/peers.js';

const admin = new AdminClient({ adminUrl: TEST_ADMIN_URL });
const tenants: string[] = [];

function configFor(tenant: string, over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  tenants.push(tenant);
  return {
    profile: undefined,
    serviceUrl: TEST_SERVICE_URL,
    adminUrl: TEST_ADMIN_URL,
    token: undefined,
    tenant,
    namespace: 'default',
    tlsTrustCertsFile: undefined,
    tlsAllowInsecure: false,
    retentionMinutes: 120,
    retentionSizeMb: 50,
    sources: {},
    ...over,
  };
}

afterAll(async () => {
  for (const t of tenants) await admin.deleteTenant(t, { recursive: true }).catch(() => undefined);
});

const DLQS = [
  'campaign-commands-campaign-service-DLQ',
  'tracking-commands-tracking-service-DLQ',
  'commission-commands-commission-service-DLQ',
  'payment-commands-payment-service-DLQ',
];

describe('initCluster against the real broker', () => {
  it('creates tenant, namespace, policies, the eight topics and the DLQ topics; a second run finds them all', async () => {
    const cfg = configFor(uniqueName('tenant'));
    const seen: InitStep[] = [];
    const first = await initCluster(cfg, { onStep: (s) => seen.push(s) });

    expect(first.ok).toBe(true);
    expect(seen).toEqual(first.steps);
    expect(first.steps.map((s) => s.name)).toEqual([
      `tenant ${cfg.tenant}`,
      `namespace ${cfg.tenant}/default`,
      'retention',
      'deduplication',
      'schema compatibility',
      'auto topic creation',
      'inactive topic deletion',
      ...TOPICS.map((t) => `topic ${t}`),
      ...DLQS.map((t) => `topic ${t}`),
    ]);
    expect(first.steps.every((s) => s.status === 'created')).toBe(true);
    expect(first.counts).toEqual({ created: 19, exists: 0, updated: 0, skipped: 0, failed: 0 });

    // What the broker now holds, read back independently of initCluster's report.
    expect((await admin.tenant(cfg.tenant)).allowedClusters).toEqual(await admin.clusters());
    const policies = await admin.namespacePolicies(cfg);
    expect(policies.retention).toEqual({ retentionTimeInMinutes: 120, retentionSizeInMB: 50 });
    expect(policies.deduplicationEnabled).toBe(true);
    expect(policies.schemaCompatibilityStrategy).toBe('BACKWARD_TRANSITIVE');
    expect(policies.autoTopicCreationOverride?.allowAutoTopicCreation).toBe(false);
    expect(policies.inactiveTopicPolicies?.deleteWhileInactive).toBe(false);
    const topics = await admin.topics(cfg);
    for (const t of [...TOPICS, ...DLQS]) expect(topics).toContain(topicName(cfg, t));
    expect(topics).toHaveLength(12);
    for (const t of first.topics) expect(await admin.partitionedMetadata(t)).toEqual({ partitions: 0 });

    const second = await initCluster(cfg);
    expect(second.ok).toBe(true);
    expect(second.steps.map((s) => s.status)).toEqual(Array(19).fill('exists'));
  });

  it('brings drifted policies back and says what they were', async () => {
    const cfg = configFor(uniqueName('tenant'));
    await initCluster(cfg);
    await admin.setDeduplication(cfg, false);
    await admin.setAutoTopicCreation(cfg, { allowAutoTopicCreation: true, topicType: 'non-partitioned' });

    const again = await initCluster({ ...cfg, retentionMinutes: 60 });
    const byName = Object.fromEntries(again.steps.map((s) => [s.name, s]));
    expect(byName.retention).toMatchObject({ status: 'updated', detail: '1 h, 50 MB (was 2 h, 50 MB)' });
    expect(byName.deduplication).toMatchObject({ status: 'updated', detail: 'on (was off)' });
    expect(byName['auto topic creation']).toMatchObject({ status: 'updated', detail: 'off (was on)' });
    expect(byName['schema compatibility']?.status).toBe('exists');
    expect(await admin.deduplication(cfg)).toBe(true);
    expect((await admin.retention(cfg))?.retentionTimeInMinutes).toBe(60);
  });

  it.skipIf(!requirePulsar())('refuses a misspelled topic in the namespace, for the admin API and for the Java client', async () => {
    const cfg = configFor(uniqueName('tenant'));
    await initCluster(cfg);
    const typo = topicName(cfg, 'campain-commands');

    const viaAdmin = await admin.createSubscription(typo, 'campaign-service').catch((e: unknown) => e);
    expect(viaAdmin).toBeInstanceOf(AdminError);
    expect((viaAdmin as AdminError).status).toBe(412);
    expect((viaAdmin as AdminError).reason).toMatch(/cannot be auto-created/);

    const [bad, good] = await Promise.all([
      runPulsarTool('pulsar-client', ['--url', TEST_SERVICE_URL, 'produce', typo, '-m', 'x']),
      runPulsarTool('pulsar-client', ['--url', TEST_SERVICE_URL, 'produce', topicName(cfg, 'campaign-commands'), '-m', 'x']),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/not found|does not exist|TopicDoesNotExist/i);
    expect(good.code, good.output).toBe(0);
    expect(await admin.topicExists(typo)).toBe(false);
    expect((await admin.topicStats(topicName(cfg, 'campaign-commands'))).msgInCounter).toBe(1);
  });
});
