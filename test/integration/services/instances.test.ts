import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEnvelope, type AnyEnvelope } from '../../../src/core/catalog/envelope.js';
import { Publisher } from '../../../src/core/publisher.js';
import { topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { ServiceHost } from '../../../src/services/host/service-host.js';
import type { CampaignRepo } from '../../../src/services/campaign/service.js';
import type { Message, PulsarClient } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import { dropSchemas, randomSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { freshScope, getJson, testClient } from './support.js';

/**
 * Two campaign instances in this process on one PostgreSQL schema and the real broker: what
 * keeps them correct is the database (claimed processed log, row locks), shown by racing them
 * on purpose.
 */
describe('two instances of a service on one PostgreSQL database', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  const schema = randomSchema('inst');
  const running: RunningServices[] = [];
  let a: ServiceHost<CampaignRepo>;
  let b: ServiceHost<CampaignRepo>;

  beforeAll(async () => {
    scope = await freshScope('svc-inst');
    client = testClient();
    for (const id of ['inst-a', 'inst-b']) {
      running.push(
        await startServices({
          cfg: scope.cfg,
          client,
          services: ['campaign'],
          databaseUrl: TEST_DATABASE_URL,
          schemas: { campaign: schema },
          ports: { campaign: 0 },
          instanceId: id,
          outboxLeaseMs: 1500,
          nackDelayMs: 100,
        }),
      );
    }
    [a, b] = running.map((r) => r.hosts[0] as unknown as ServiceHost<CampaignRepo>) as [ServiceHost<CampaignRepo>, ServiceHost<CampaignRepo>];
  });

  afterAll(async () => {
    for (const r of running) await r.stop();
    await client?.close();
    await scope?.drop();
    await dropSchemas([schema]);
  });

  const create = (id: string): AnyEnvelope =>
    newEnvelope('campaign.create.command.v1', {
      campaign_id: id,
      user_id: 'u',
      name: `c ${id}`,
      description: null,
      budget_minor: null,
      currency: 'USD',
    }) as AnyEnvelope;
  const addVideo = (campaign: string, video: string, url: string): AnyEnvelope =>
    newEnvelope('campaign.add_video.command.v1', { campaign_id: campaign, video_id: video, url, title: 't' }) as AnyEnvelope;
  const race = async (env1: AnyEnvelope, env2: AnyEnvelope) => {
    const src = { topic: 'campaign-commands' as const, redeliveryCount: 0, via: 'event' as const };
    const out = await Promise.all([a.processor.processEnvelope(env1, src), b.processor.processEnvelope(env2, src)]);
    return out.map((o) => o.kind).sort();
  };

  it('shows each instance its id in /health and in /metrics, and spreads the outbox slices', async () => {
    const [ha, hb] = await Promise.all([getJson(`${a.url}/health`), getJson(`${b.url}/health`)]);
    expect(ha.body).toMatchObject({ status: 'ok', instance_id: 'inst-a', database_kind: 'postgres' });
    expect(hb.body).toMatchObject({ status: 'ok', instance_id: 'inst-b' });
    expect((await getJson(`${a.url}/metrics`)).body).toMatch(/miso_outbox_depth\{service="campaign",instance_id="inst-a"\} \d+/);
    // Four slices, two live instances: two each once both have renewed.
    await waitUntil(() => a.relay.heldSlices.length === 2 && b.relay.heldSlices.length === 2, { timeoutMs: 15_000, what: 'two slices each' });
    expect([...a.relay.heldSlices, ...b.relay.heldSlices].sort()).toEqual([0, 1, 2, 3]);
  });

  it('handles a message delivered to both instances at the same moment once', async () => {
    const outcomes = [];
    for (let i = 0; i < 15; i++) {
      const env = create(`dup-${randomUUID()}`);
      outcomes.push(await race(env, env));
    }
    expect(outcomes).toEqual(Array.from({ length: 15 }, () => ['accepted', 'duplicate']));
    expect(await a.store.read((r) => r.counts())).toMatchObject({ campaigns: 15 });
  });

  it('handles a command sent twice through the broker once, whichever instances get the copies', async () => {
    const pub = new Publisher(client, scope.cfg);
    const envs = Array.from({ length: 10 }, () => create(`twice-${randomUUID()}`));
    const type = 'campaign.create.command.v1';
    const before = (h: ServiceHost<CampaignRepo>) =>
      h.metrics.handled.get({ service: 'campaign', type }) + h.metrics.duplicates.get({ service: 'campaign', type });
    const base = before(a) + before(b);
    try {
      for (const env of envs) {
        await pub.publish(env);
        await pub.publish(env);
      }
    } finally {
      await pub.close();
    }
    await waitUntil(() => before(a) + before(b) - base >= 20, { timeoutMs: 20_000, what: 'both copies of every command' });
    const dups = a.metrics.duplicates.get({ service: 'campaign', type }) + b.metrics.duplicates.get({ service: 'campaign', type });
    expect(dups).toBe(10);
    for (const env of envs) expect(await a.store.read((r) => r.campaign((env.payload as { campaign_id: string }).campaign_id))).toBeDefined();
  });

  it('keeps a campaign consistent under concurrent add_video on both instances: no duplicate, no lost video', async () => {
    const campaign = `race-${randomUUID()}`;
    expect(await race(create(campaign), create(`other-${randomUUID()}`))).toEqual(['accepted', 'accepted']);
    for (let i = 0; i < 10; i++) {
      // The same URL from both sides: the row lock makes the second see the first's video.
      expect(await race(addVideo(campaign, `v-${i}-a`, `https://x.test/same-${i}`), addVideo(campaign, `v-${i}-b`, `https://x.test/same-${i}`))).toEqual([
        'accepted',
        'rejected',
      ]);
      // Different URLs from both sides: both land.
      expect(await race(addVideo(campaign, `w-${i}-a`, `https://x.test/a-${i}`), addVideo(campaign, `w-${i}-b`, `https://x.test/b-${i}`))).toEqual([
        'accepted',
        'accepted',
      ]);
    }
    const videos = await a.store.read((r) => r.videos(campaign));
    expect(videos).toHaveLength(30);
    expect(new Set(videos.map((v) => v.url)).size).toBe(30);
  });

  it('publishes every event of both instances exactly once', async () => {
    await waitUntil(async () => (await a.store.outboxDepth()) === 0, { timeoutMs: 20_000, what: 'an empty outbox' });
    const events = await readAll(client, topicName(scope.cfg, 'campaign-events'), 67);
    const byType: Record<string, number> = {};
    for (const m of events) byType[m.properties.type ?? '?'] = (byType[m.properties.type ?? '?'] ?? 0) + 1;
    // 15 + 10 created, 2 more created, 10 + 20 videos added, 10 rejections (on campaign-events).
    expect(byType).toEqual({ 'campaign.created.v1': 27, 'video.added.v1': 30, 'command.rejected.v1': 10 });
    expect(new Set(events.map((m) => m.properties.id)).size).toBe(67);
  });
});

/** Every message of a topic: read until `expected` arrived, then on until nothing more comes for a second (a duplicate would). */
export async function readAll(client: PulsarClient, topic: string, expected: number, timeoutMs = 20_000): Promise<Message[]> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  const seen: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const m = await reader.readNext(seen.length >= expected ? 1000 : 200);
      if (m) seen.push(m);
      else if (seen.length >= expected || Date.now() > deadline) return seen;
    }
  } finally {
    await reader.close();
  }
}
