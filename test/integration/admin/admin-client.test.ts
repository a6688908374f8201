import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { AdminClient, AdminError, ConflictError, IncompatibleSchemaError, NotFoundError } from '../../../src/pulsar/admin.js';
import { UnreachableError, TimeoutError } from '../../../src/errors.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { requirePulsar, runPulsarTool } from '../../support/peers.js';

const admin = new AdminClient({ adminUrl: TEST_ADMIN_URL });
const tenant = uniqueName('tenant');
const ns = `${tenant}/ns`;
const topic = (name: string) => `persistent://${ns}/${name}`;

const V1 = JSON.stringify({ type: 'record', name: 'Thing', namespace: 'test', fields: [{ name: 'a', type: 'string' }] });
const V2 = JSON.stringify({
  type: 'record',
  name: 'Thing',
  namespace: 'test',
  fields: [
    { name: 'a', type: 'string' },
    { name: 'b', type: ['null', 'long'], default: null },
  ],
});
const BROKEN = JSON.stringify({ type: 'record', name: 'Thing', namespace: 'test', fields: [{ name: 'c', type: 'int' }] });

beforeAll(async () => {
  const clusters = await admin.clusters();
  await admin.createTenant(tenant, { allowedClusters: clusters });
  await admin.createNamespace(ns);
});

afterAll(async () => {
  await admin.deleteTenant(tenant, { recursive: true });
});

describe('AdminClient against the real broker', () => {
  it('lists clusters and tenants, reads a tenant back', async () => {
    const clusters = await admin.clusters();
    expect(clusters.length).toBeGreaterThan(0);
    expect(await admin.tenants()).toContain(tenant);
    expect((await admin.tenant(tenant)).allowedClusters).toEqual(clusters);
    expect(await admin.namespaces(tenant)).toEqual([ns]);
  });

  it('maps 409 to ConflictError and makes ensure* idempotent', async () => {
    const err = await admin.createTenant(tenant, { allowedClusters: await admin.clusters() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).status).toBe(409);
    expect((err as ConflictError).reason).toMatch(/exist/i);
    expect(await admin.ensureTenant(tenant, { allowedClusters: await admin.clusters() })).toBe('exists');
    expect(await admin.ensureNamespace(ns)).toBe('exists');
    expect(await admin.ensureTopic(topic('once'))).toBe('created');
    expect(await admin.ensureTopic(topic('once'))).toBe('exists');
  });

  it('maps 404 to NotFoundError with the broker reason and a next step', async () => {
    const missing = uniqueName('no-such-tenant');
    const err = await admin.tenant(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).status).toBe(404);
    expect((err as NotFoundError).message).toContain(missing);
    expect((err as NotFoundError).reason).toMatch(/not exist|not found/i);
    expect((err as NotFoundError).hint).toMatch(/miso init/);
    await expect(admin.topicStats(topic('never-made'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sets and reads namespace policies', async () => {
    expect(await admin.retention(ns)).toBeUndefined();
    await admin.setRetention(ns, { retentionTimeInMinutes: 90, retentionSizeInMB: 64 });
    expect(await admin.retention(ns)).toEqual({ retentionTimeInMinutes: 90, retentionSizeInMB: 64 });

    await admin.setDeduplication(ns, true);
    expect(await admin.deduplication(ns)).toBe(true);

    expect(await admin.schemaCompatibility(ns)).toBeUndefined();
    await admin.setSchemaCompatibility(ns, 'BACKWARD_TRANSITIVE');
    expect(await admin.schemaCompatibility(ns)).toBe('BACKWARD_TRANSITIVE');

    await admin.setMessageTtl(ns, 3600);
    expect(await admin.messageTtl(ns)).toBe(3600);

    const p = await admin.namespacePolicies({ tenant, namespace: 'ns' });
    expect(p.retention).toEqual({ retentionTimeInMinutes: 90, retentionSizeInMB: 64 });
    expect(p.deduplicationEnabled).toBe(true);
    expect(p.schemaCompatibilityStrategy).toBe('BACKWARD_TRANSITIVE');
    expect(p.messageTtlSeconds).toBe(3600);
    expect(p.autoTopicCreationOverride).toBeUndefined();
  });

  it('creates, lists, describes and deletes plain and partitioned topics', async () => {
    await admin.createTopic(topic('plain'));
    await admin.createPartitionedTopic(topic('parted'), 3);
    expect(await admin.partitionedMetadata(topic('parted'))).toEqual({ partitions: 3 });
    expect(await admin.partitionedMetadata(topic('plain'))).toEqual({ partitions: 0 });
    const all = await admin.topics(ns);
    expect(all).toContain(topic('plain'));
    expect(all).toContain(topic('parted-partition-2'));
    expect(await admin.partitionedTopics(ns)).toEqual([topic('parted')]);
    expect(await admin.topicExists(topic('parted'))).toBe(true);
    expect(await admin.topicExists(`${ns}/plain`)).toBe(true);

    const stats = await admin.partitionedStats(topic('parted'));
    expect(stats.partitions).toBe(3);

    await admin.deletePartitionedTopic(topic('parted'));
    await admin.deleteTopic(topic('plain'));
    expect(await admin.topicExists(topic('plain'))).toBe(false);
    expect(await admin.partitionedTopics(ns)).toEqual([]);
  });

  it.skipIf(!requirePulsar())('reports subscriptions and their backlog in topic stats', async () => {
    const t = topic('with-backlog');
    await admin.createTopic(t);
    await admin.createSubscription(t, 'reader-a');
    expect(await admin.subscriptions(t)).toEqual(['reader-a']);

    // Another client (the Java tool shipped with Pulsar) writes three messages.
    const produced = await runPulsarTool('pulsar-client', ['--url', TEST_SERVICE_URL, 'produce', t, '-m', 'one', '-n', '3']);
    expect(produced.code, produced.output).toBe(0);

    const stats = await admin.topicStats(t);
    expect(stats.partitions).toBe(0);
    expect(stats.msgInCounter).toBe(3);
    expect(stats.subscriptions['reader-a']?.msgBacklog).toBe(3);
    expect(stats.subscriptions['reader-a']?.consumers).toEqual([]);

    await admin.deleteSubscription(t, 'reader-a');
    expect(await admin.subscriptions(t)).toEqual([]);
    await expect(admin.deleteSubscription(t, 'reader-a')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('registers, versions, checks and deletes schemas', async () => {
    const t = topic('schema-topic');
    await admin.createTopic(t);
    await admin.setSchemaCompatibility(ns, 'BACKWARD_TRANSITIVE');
    expect(await admin.getSchema(t)).toBeUndefined();
    expect(await admin.getSchemas(t)).toEqual([]);

    expect(await admin.postSchema(t, { type: 'AVRO', schema: V1, properties: { origin: 'test' } })).toEqual({ version: 0 });
    // The same schema again is not a new version.
    expect(await admin.postSchema(t, { type: 'AVRO', schema: V1, properties: { origin: 'test' } })).toEqual({ version: 0 });

    const ok = await admin.checkSchemaCompatibility(t, { type: 'AVRO', schema: V2 });
    expect(ok).toEqual({ compatible: true, strategy: 'BACKWARD_TRANSITIVE' });
    const bad = await admin.checkSchemaCompatibility(t, { type: 'AVRO', schema: BROKEN });
    expect(bad.compatible).toBe(false);
    expect(bad.strategy).toBe('BACKWARD_TRANSITIVE');
    expect(bad.reason).toMatch(/compatib/i);

    expect(await admin.postSchema(t, { type: 'AVRO', schema: V2 })).toEqual({ version: 1 });
    const err = await admin.postSchema(t, { type: 'AVRO', schema: BROKEN }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleSchemaError);
    expect((err as IncompatibleSchemaError).message).not.toMatch(/<html|Stacktrace/);

    const latest = await admin.getSchema(t);
    expect(latest?.version).toBe(1);
    expect(JSON.parse(latest!.data)).toEqual(JSON.parse(V2));
    const first = await admin.getSchema(t, 0);
    expect(first?.properties).toEqual({ origin: 'test' });
    expect((await admin.getSchemas(t)).map((s) => s.version)).toEqual([0, 1]);
    expect(await admin.getSchema(t, 7)).toBeUndefined();

    await admin.deleteSchema(t);
    expect(await admin.getSchema(t)).toBeUndefined();
  });

  it('refuses a subscription on a missing topic once auto creation is off', async () => {
    await admin.setAutoTopicCreation(ns, { allowAutoTopicCreation: false });
    expect(await admin.autoTopicCreation(ns)).toEqual({ allowAutoTopicCreation: false });
    const err = await admin.createSubscription(topic('typo-topic'), 's').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminError);
    expect((err as AdminError).status).toBe(412);
    expect(await admin.topicExists(topic('typo-topic'))).toBe(false);
    await admin.removeAutoTopicCreation(ns);
    expect(await admin.autoTopicCreation(ns)).toBeUndefined();
  });
});

describe('AdminClient when the broker is not there', () => {
  let silent: Server;
  let silentPort = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers: a hung broker.
    silent = createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('connection refused → UnreachableError naming the URL and `miso broker up`', async () => {
    // A port that was just free: bind, note it, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const err = await new AdminClient({ adminUrl: `http://127.0.0.1:${port}` }).clusters().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).message).toContain(`127.0.0.1:${port}`);
    expect((err as UnreachableError).hint).toMatch(/miso broker up/);
    expect((err as UnreachableError).retriable).toBe(true);
  });

  it('no answer → TimeoutError', async () => {
    const err = await new AdminClient({ adminUrl: `http://127.0.0.1:${silentPort}`, timeoutMs: 300 }).tenants().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).message).toMatch(/did not answer/);
  });
});
