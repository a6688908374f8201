import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import type { ServiceMode } from '../../../src/config/index.js';
import { freshScope, getJson, postJson, readUntil, testClient } from './support.js';

/** /health and /metrics in every mode; the REST routes (and their 4xx answers) in http and hybrid. */
describe('service modes', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  const running: Partial<Record<ServiceMode, RunningServices>> = {};
  const base = (mode: ServiceMode) => running[mode]!.hosts[0]!.url!;

  beforeAll(async () => {
    scope = await freshScope('svc-modes');
    client = testClient();
    // Three campaign services, one per mode, each with its own database (and so its own outbox producer).
    for (const mode of ['event', 'http', 'hybrid'] as const) {
      running[mode] = await startServices({
        cfg: scope.cfg,
        client,
        services: ['campaign'],
        mode,
        ports: { campaign: 0 },
        db: `${scope.dataDir}/campaign-${mode}.db`,
      });
    }
  });

  afterAll(async () => {
    for (const r of Object.values(running)) await r?.stop();
    await client?.close();
    await scope?.drop();
  });

  it.each(['event', 'http', 'hybrid'] as const)('%s mode serves /health and /metrics', async (mode) => {
    const h = await getJson(`${base(mode)}/health`);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', service: 'campaign', mode, broker_connected: true, outbox_depth: 0 });
    const topics = (h.body.topics_subscribed as { topic: string }[]).map((t) => t.topic);
    expect(topics).toEqual(mode === 'http' ? [] : [`persistent://${scope.cfg.tenant}/ns/campaign-commands`]);
    const m = await fetch(`${base(mode)}/metrics`);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    expect(text).toContain('# TYPE miso_handler_duration_seconds histogram');
    expect(text).toContain('miso_broker_connected{service="campaign"} 1');
  });

  it('event mode does not serve commands over HTTP, and says how to send them', async () => {
    const r = await postJson(`${base('event')}/campaigns`, { user_id: 'u', name: 'n' });
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/event mode.*campaign-commands/);
  });

  it('http mode: a valid POST creates the campaign, answers 201 and publishes the event through the outbox', async () => {
    const r = await postJson(`${base('http')}/campaigns`, { campaign_id: 'http-1', user_id: 'u-1', name: 'Over HTTP' }, { 'x-correlation-id': 'wf-http-1' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      type: 'campaign.create.command.v1',
      correlation_id: 'wf-http-1',
      result: { campaignId: 'http-1', name: 'Over HTTP' },
      emitted: [{ type: 'campaign.created.v1' }],
    });
    const seen = await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => m.env.correlation_id === 'wf-http-1'));
    expect(seen.find((m) => m.env.correlation_id === 'wf-http-1')!.env).toMatchObject({ type: 'campaign.created.v1', causation_id: r.body.id });
    const got = await getJson(`${base('http')}/campaigns/http-1`);
    expect(got).toMatchObject({ status: 200, body: { campaignId: 'http-1', videos: [] } });
  });

  it('http mode: bad input gets a clear 4xx JSON error and changes nothing', async () => {
    const url = `${base('http')}/campaigns`;
    const badJson = await postJson(url, '{"name": ');
    expect(badJson).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    const missing = await postJson(url, { name: 'No owner' });
    expect(missing.status).toBe(400);
    expect(missing.body.field_errors).toEqual([expect.objectContaining({ path: 'user_id' })]);
    const wrongType = await postJson(url, { user_id: 'u', name: 'n', budget_minor: 'lots' });
    expect(wrongType.body.field_errors[0].path).toBe('budget_minor');
    const unknown = await postJson(url, { user_id: 'u', name: 'n', colour: 'red' });
    expect(unknown.body.message).toMatch(/colour/);
    const notObject = await postJson(url, [1, 2]);
    expect(notObject.status).toBe(400);
    const wrongMethod = await postJson(url, {}, {}, 'PUT');
    expect(wrongMethod.status).toBe(405);
    const noRoute = await getJson(`${base('http')}/nothing-here`);
    expect(noRoute).toMatchObject({ status: 404, body: { error: 'not_found', routes: expect.arrayContaining(['POST /campaigns']) } });
    const noCampaign = await getJson(`${base('http')}/campaigns/none`);
    expect(noCampaign.status).toBe(404);
    const list = await getJson(`${base('http')}/campaigns`);
    expect(list.body.campaigns.map((c: { campaignId: string }) => c.campaignId)).not.toContain(undefined);
  });

  it('http mode: a domain rule refusal is 422/404/409 and the rejection event is published', async () => {
    const empty = await postJson(`${base('http')}/campaigns`, { user_id: 'u', name: '  ' });
    expect(empty).toMatchObject({ status: 422, body: { error: 'validation_failed', field_errors: [{ path: 'name', message: 'must not be empty' }] } });
    const seen = await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => m.env.id === empty.body.rejection_event_id));
    expect(seen.find((m) => m.env.id === empty.body.rejection_event_id)!.env).toMatchObject({
      type: 'command.rejected.v1',
      payload: { command_id: empty.body.id },
    });
    const noCampaign = await postJson(`${base('http')}/campaigns/missing/videos`, { url: 'https://x.example/a', title: 't' });
    expect(noCampaign).toMatchObject({ status: 404, body: { error: 'not_found' } });
    await postJson(`${base('http')}/campaigns`, { campaign_id: 'dup', user_id: 'u', name: 'n' });
    const dup = await postJson(`${base('http')}/campaigns`, { campaign_id: 'dup', user_id: 'u', name: 'n' });
    expect(dup).toMatchObject({ status: 409, body: { error: 'duplicate' } });
  });

  it('http mode: a retried request with the same Idempotency-Key is handled once', async () => {
    const body = { campaign_id: 'idem-1', user_id: 'u', name: 'Once' };
    const first = await postJson(`${base('http')}/campaigns`, body, { 'idempotency-key': 'req-42' });
    const again = await postJson(`${base('http')}/campaigns`, body, { 'idempotency-key': 'req-42' });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, id: first.body.id } });
  });

  it('hybrid mode: commands arrive both ways', async () => {
    const viaHttp = await postJson(`${base('hybrid')}/campaigns`, { campaign_id: 'hy-1', user_id: 'u', name: 'HTTP' });
    expect(viaHttp.status).toBe(201);
    const pub = new Publisher(client, scope.cfg);
    try {
      // The event-mode and hybrid services share the subscription: either may take it. Both
      // stores are checked, and exactly one of them has it.
      await pub.sendCommand('campaign.create', { campaign_id: 'hy-2', user_id: 'u', name: 'Topic' });
      await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => (m.env.payload as { campaign_id?: string }).campaign_id === 'hy-2'));
    } finally {
      await pub.close();
    }
    const inHybrid = (await getJson(`${base('hybrid')}/campaigns/hy-2`)).status === 200;
    const inEvent = await running.event!.hosts[0]!.store.read((r) => (r as { campaign(id: string): Promise<unknown> }).campaign('hy-2'));
    expect(Number(inHybrid) + Number(inEvent !== undefined)).toBe(1);
    expect((await getJson(`${base('hybrid')}/campaigns/hy-1`)).status).toBe(200);
  });
});
