import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/index.js';
import { runDoctor, type DoctorCheck } from '../../../src/core/doctor.js';
import { initCluster } from '../../../src/core/init.js';
import { topicName } from '../../../src/core/topics.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { freePorts } from '../../support/ports.js';

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
    retentionMinutes: 60,
    retentionSizeMb: 10,
    sources: {},
    ...over,
  };
}

afterAll(async () => {
  for (const t of tenants) await admin.deleteTenant(t, { recursive: true }).catch(() => undefined);
});

const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('runDoctor against the real broker', () => {
  it('passes on an initialised namespace, and sees a registered schema', async () => {
    const cfg = configFor(uniqueName('tenant'));
    await initCluster(cfg);
    await admin.postSchema(topicName(cfg, 'campaign-events'), {
      type: 'AVRO',
      schema: JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }] }),
    });
    const streamed: DoctorCheck[] = [];
    const report = await runDoctor(cfg, { onCheck: (c) => streamed.push(c) });
    expect(streamed).toEqual(report.checks);
    expect(report.ok).toBe(true);
    const c = byName(report.checks);
    for (const n of [
      'config',
      'token',
      'admin API',
      'binary port',
      'broker handshake',
      'authentication',
      'tenant',
      'namespace',
      'retention',
      'deduplication',
      'schema compatibility',
      'auto topic creation',
      'topics',
    ]) {
      expect(c[n]?.status, `${n}: ${c[n]?.detail}`).toBe('ok');
    }
    expect(c['admin API']?.detail).toMatch(/Pulsar \d+\.\d+/);
    expect(c['broker handshake']?.detail).toMatch(/CONNECT accepted/);
    expect(c.retention?.detail).toBe('1 h, 10 MB');
    expect(c['schema campaign-events']).toMatchObject({ status: 'ok', detail: 'registered, version 0 (AVRO)' });
    expect(c['schema payment-commands']).toMatchObject({ status: 'warn', detail: 'none registered yet' });
    expect(report.counts.warn).toBe(7);
  });

  it('fails on drifted policies and a missing topic, naming what is wrong', async () => {
    const cfg = configFor(uniqueName('tenant'));
    await initCluster(cfg);
    await admin.setDeduplication(cfg, false);
    await admin.setSchemaCompatibility(cfg, 'FULL');
    await admin.deleteTopic(topicName(cfg, 'payment-events'));
    const report = await runDoctor({ ...cfg, retentionMinutes: 120 });
    expect(report.ok).toBe(false);
    const c = byName(report.checks);
    expect(c.deduplication).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^off/) });
    expect(c.deduplication?.hint).toMatch(/miso init/);
    expect(c['schema compatibility']).toMatchObject({ status: 'fail', detail: 'FULL instead of BACKWARD_TRANSITIVE' });
    expect(c.retention).toMatchObject({ status: 'warn', detail: '1 h, 10 MB (config says 2 h, 10 MB)' });
    expect(c.topics).toMatchObject({ status: 'fail', detail: '1 of 12 missing: payment-events' });
    expect(c['schema payment-events']?.status).toBe('skip');
  });

  it('reports a missing tenant and skips what depends on it', async () => {
    const report = await runDoctor(configFor(uniqueName('tenant')));
    const c = byName(report.checks);
    expect(report.ok).toBe(false);
    expect(c.tenant).toMatchObject({ status: 'fail', hint: 'Run `miso init` to create it.' });
    expect(c.namespace?.status).toBe('skip');
    expect(c.topics?.status).toBe('skip');
    expect(c.schemas?.status).toBe('skip');
  });

  it('says the broker is not there, per port, and skips the rest', async () => {
    const [a, b] = (await freePorts(2)) as [number, number];
    const report = await runDoctor(configFor('nobody', { adminUrl: `http://127.0.0.1:${a}`, serviceUrl: `pulsar://127.0.0.1:${b}` }), { timeoutMs: 2000 });
    const c = byName(report.checks);
    expect(c['admin API']).toMatchObject({ status: 'fail', detail: expect.stringContaining('connection refused') });
    expect(c['admin API']?.hint).toMatch(/miso broker up/);
    expect(c['binary port']).toMatchObject({ status: 'fail', detail: expect.stringContaining(`127.0.0.1:${b}`) });
    expect(c['broker handshake']?.status).toBe('skip');
    expect(c.authentication?.status).toBe('skip');
    expect(report.counts.fail).toBe(2);
  });
});
