import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { initCluster } from '../../../src/core/init.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';

/**
 * A fresh tenant/namespace set up the way `miso init` does it (topics, dedup,
 * BACKWARD_TRANSITIVE, auto topic creation off), so each test file works alone.
 */
export async function freshScope(prefix = 'cat'): Promise<{ cfg: ResolvedConfig; admin: AdminClient; flags: string[]; drop: () => Promise<void> }> {
  const tenant = uniqueName(prefix);
  const cfg = resolveConfig({ serviceUrl: TEST_SERVICE_URL, adminUrl: TEST_ADMIN_URL, tenant, namespace: 'ns' });
  const admin = new AdminClient(cfg);
  // The dev broker deletes topics without subscriptions after a minute of inactivity
  // (brokerDeleteInactiveTopicsEnabled); keep this namespace's topics for the whole file.
  await admin.ensureTenant(tenant, { allowedClusters: await admin.clusters() });
  await admin.ensureNamespace({ tenant, namespace: 'ns' });
  await keepInactiveTopics(admin, tenant, 'ns');
  const report = await initCluster(cfg, { admin });
  if (!report.ok) throw new Error(`init failed: ${JSON.stringify(report.steps.filter((s) => s.status === 'failed'))}`);
  return {
    cfg,
    admin,
    flags: ['--service-url', TEST_SERVICE_URL, '--admin-url', TEST_ADMIN_URL, '--tenant', tenant, '--namespace', 'ns'],
    drop: async () => {
      try {
        await admin.deleteNamespace({ tenant, namespace: 'ns' }, { recursive: true });
        await admin.deleteTenant(tenant);
      } catch {
        /* best effort: a leftover test tenant harms nothing */
      }
    },
  };
}

/** How many messages a topic holds now, read with a reader from the start (proves "nothing was sent"). */
export async function countMessages(client: import('../../../src/pulsar/index.js').PulsarClient, topic: string): Promise<number> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  let n = 0;
  try {
    while (await reader.hasMessageAvailable()) {
      if (await reader.readNext(5000)) n++;
    }
  } finally {
    await reader.close();
  }
  return n;
}

/** Namespace policy: never delete inactive topics (the broker default deletes them after 60 s). */
export async function keepInactiveTopics(admin: AdminClient, tenant: string, namespace: string): Promise<void> {
  await admin.http.request('POST', `/admin/v2/namespaces/${tenant}/${namespace}/inactiveTopicPolicies`, {
    body: { inactiveTopicDeleteMode: 'delete_when_no_subscriptions', maxInactiveDurationSeconds: 60, deleteWhileInactive: false },
    what: `keep inactive topics of ${tenant}/${namespace}`,
  });
}
