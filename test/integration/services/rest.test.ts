import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceName } from '../../../src/config/index.js';
import { topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import { freshScope, getJson, outboxesDrained, postJson, readAllDecoded, readToEnd, testClient } from './support.js';

/**
 * The REST routes of the four services as docs/services.md lists them, in http mode, with the
 * answers it promises: 201 for a command handled, 400 for a body that does not fit the schema,
 * 422/404/409 for a broken rule (the rejection event still published), 503 for a transient
 * failure, 404/405/415 for a wrong route, method or media type. One process, the shared
 * broker, a tenant of its own.
 */
describe('REST routes of the four services', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let running: RunningServices;
  const url = (svc: ServiceName) => running.hosts.find((h) => h.def.name === svc)!.url!;
  /** Rejection event ids answered over HTTP, per service: each must be on its event topic once. */
  const rejections: Record<string, string[]> = { campaign: [], tracking: [], commission: [], payment: [] };

  async function refused(svc: ServiceName, path: string, body: unknown, status: number, error: string, headers: Record<string, string> = {}) {
    const r = await postJson(`${url(svc)}${path}`, body, headers);
    expect({ status: r.status, error: r.body.error }, JSON.stringify(r.body)).toEqual({ status, error });
    expect(r.body.rejection_event_id, 'a broken rule is answered with a rejection event').toEqual(expect.any(String));
    rejections[svc]!.push(r.body.rejection_event_id as string);
    return r.body;
  }

  beforeAll(async () => {
    scope = await freshScope('svc-rest');
    client = testClient();
    running = await startServices({
      cfg: scope.cfg,
      client,
      services: ['campaign', 'tracking', 'commission', 'payment'],
      mode: 'http',
      dataDir: scope.dataDir,
      ports: { campaign: 0, tracking: 0, commission: 0, payment: 0 },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await client?.close();
    await scope?.drop();
  });

  const commandRoutes: [ServiceName, string, string][] = [
    // service, its command route, a field the schema requires and an empty body lacks
    ['campaign', '/campaigns', 'user_id'],
    ['tracking', '/tracking-events', 'event_type'],
    ['commission', '/commissions', 'tracking_event_id'],
    ['payment', '/payments', 'amount_minor'],
  ];

  it.each(commandRoutes)('%s: wrong route, method, media type or body → 4xx JSON, nothing sent', async (svc, path, required) => {
    const base = url(svc);
    expect((await getJson(`${base}/health`)).body).toMatchObject({
      status: 'ok',
      service: svc,
      mode: 'http',
      topics_subscribed: svc === 'tracking' ? [expect.objectContaining({ topic: topicName(scope.cfg, 'campaign-events') })] : [],
    });

    const noRoute = await getJson(`${base}/nothing-here`);
    expect(noRoute).toMatchObject({
      status: 404,
      body: { error: 'not_found', routes: expect.arrayContaining([`POST ${path}`, 'GET /health', 'GET /metrics']) },
    });
    const wrongMethod = await postJson(`${base}${path}`, {}, {}, 'DELETE');
    expect(wrongMethod).toMatchObject({ status: 405, body: { error: 'method_not_allowed', message: expect.stringMatching(/POST/) } });
    const healthByPost = await postJson(`${base}/health`, {});
    expect(healthByPost).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });

    expect(await postJson(`${base}${path}`, '{"oops": ')).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(await postJson(`${base}${path}`, 'a=1', { 'content-type': 'text/plain' })).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    expect(await postJson(`${base}${path}`, [1, 2])).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    const empty = await postJson(`${base}${path}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.field_errors.map((f: { path: string }) => f.path)).toContain(required);
    const unknownField = await postJson(`${base}${path}`, { colour: 'red' });
    expect(unknownField).toMatchObject({ status: 400, body: { error: 'validation_failed', message: expect.stringMatching(/colour/) } });

    // A 4xx before the handler changes nothing: no command handled, nothing in the outbox.
    const metrics = (await getJson(`${base}/metrics`)).body as string;
    expect(metrics).not.toMatch(/miso_messages_handled_total\{[^}]*\} [1-9]/);
    expect((await getJson(`${base}/health`)).body.outbox_depth).toBe(0);
  });

  it('the 4xx answers above sent nothing to any topic', async () => {
    for (const short of ['campaign-events', 'tracking-events', 'commission-events', 'payment-events', 'commission-commands', 'payment-commands'] as const) {
      expect(await readToEnd(client, topicName(scope.cfg, short)), short).toEqual([]);
    }
  });

  it('campaign: POST /campaigns/:id/videos, GET /campaigns[/:id], and its refusals', async () => {
    const base = url('campaign');
    for (const id of ['rest-1', 'rest-2'])
      expect((await postJson(`${base}/campaigns`, { campaign_id: id, user_id: `owner-${id}`, name: `Campaign ${id}` })).status).toBe(201);
    const video = await postJson(`${base}/campaigns/rest-1/videos`, { video_id: 'vid-1', url: 'https://videos.example/1', title: 'One' });
    expect(video).toMatchObject({
      status: 201,
      body: { type: 'campaign.add_video.command.v1', result: { videoId: 'vid-1', campaignId: 'rest-1' }, emitted: [{ type: 'video.added.v1' }] },
    });
    expect((await postJson(`${base}/campaigns/rest-2/videos`, { video_id: 'vid-2', url: 'https://videos.example/2', title: 'Two' })).status).toBe(201);

    await refused('campaign', '/campaigns/rest-1/videos', { url: 'https://videos.example/1', title: 'Same URL' }, 409, 'duplicate');
    await refused('campaign', '/campaigns/rest-1/videos', { video_id: 'vid-1', url: 'https://videos.example/other', title: 'Same id' }, 409, 'duplicate');
    const badUrl = await refused('campaign', '/campaigns/rest-1/videos', { url: 'ftp://videos.example/x', title: 'FTP' }, 422, 'validation_failed');
    expect(badUrl.field_errors).toEqual([expect.objectContaining({ path: 'url' })]);
    await refused('campaign', '/campaigns/nobody/videos', { url: 'https://videos.example/n', title: 'Nobody' }, 404, 'not_found');
    const currency = await refused('campaign', '/campaigns', { user_id: 'u', name: 'n', currency: 'EURO' }, 422, 'validation_failed');
    expect(currency.field_errors).toEqual([expect.objectContaining({ path: 'currency' })]);
    const mismatch = await postJson(`${base}/campaigns/rest-1/videos`, { campaign_id: 'rest-2', url: 'https://videos.example/m', title: 'M' });
    expect(mismatch).toMatchObject({ status: 400, body: { error: 'validation_failed', message: expect.stringMatching(/differs from the path/) } });

    expect(await getJson(`${base}/campaigns/rest-1`)).toMatchObject({
      status: 200,
      body: { campaignId: 'rest-1', userId: 'owner-rest-1', videos: [expect.objectContaining({ videoId: 'vid-1' })] },
    });
    expect(await getJson(`${base}/campaigns/none`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await getJson(`${base}/campaigns`)).body.campaigns.map((c: { campaignId: string }) => c.campaignId).sort()).toEqual(['rest-1', 'rest-2']);
    expect((await getJson(`${base}/campaigns?limit=1`)).body.campaigns).toHaveLength(1);
  });

  it('tracking: POST /tracking-events, GET /tracking-events[/:id], and its refusals (no redelivery over HTTP)', async () => {
    const base = url('tracking');
    // Tracking learns campaigns and videos from campaign-events, also in http mode.
    await waitUntil(async () => (await getJson(`${base}/health`)).body.stats.videos === 2, { what: 'tracking to learn both videos' });

    const click = await postJson(`${base}/tracking-events`, {
      tracking_event_id: 'te-1',
      event_type: 'click',
      campaign_id: 'rest-1',
      video_id: 'vid-1',
      visitor_id: 'v-1',
    });
    expect(click).toMatchObject({ status: 201, body: { result: { trackingEventId: 'te-1', eventType: 'click' } } });
    expect(click.body.emitted.map((e: { type: string }) => e.type)).toEqual(['tracking_event.created.v1', 'commission.calculate.command.v1']);
    expect(await getJson(`${base}/tracking-events/te-1`)).toMatchObject({ status: 200, body: { trackingEventId: 'te-1', campaignId: 'rest-1' } });
    expect(await getJson(`${base}/tracking-events/none`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(
      (await getJson(`${base}/tracking-events?campaign_id=rest-1`)).body.tracking_events.map((e: { trackingEventId: string }) => e.trackingEventId),
    ).toEqual(['te-1']);
    expect((await getJson(`${base}/tracking-events?campaign_id=rest-2`)).body.tracking_events).toEqual([]);

    const enumWrong = await postJson(`${base}/tracking-events`, { event_type: 'purchase', campaign_id: 'rest-1', video_id: 'vid-1', visitor_id: 'v' });
    expect(enumWrong).toMatchObject({ status: 400, body: { field_errors: [expect.objectContaining({ path: 'event_type' })] } });
    await refused(
      'tracking',
      '/tracking-events',
      { tracking_event_id: 'te-1', event_type: 'view', campaign_id: 'rest-1', video_id: 'vid-1', visitor_id: 'v' },
      409,
      'duplicate',
    );
    const noSale = await refused(
      'tracking',
      '/tracking-events',
      { event_type: 'conversion', campaign_id: 'rest-1', video_id: 'vid-1', visitor_id: 'v' },
      422,
      'validation_failed',
    );
    expect(noSale.field_errors.map((f: { path: string }) => f.path)).toContain('sale_amount_minor');
    await refused(
      'tracking',
      '/tracking-events',
      { event_type: 'view', campaign_id: 'rest-1', video_id: 'vid-1', visitor_id: 'v', sale_amount_minor: 100 },
      422,
      'validation_failed',
    );
    const t0 = Date.now();
    await refused('tracking', '/tracking-events', { event_type: 'view', campaign_id: 'rest-unknown', video_id: 'vid-1', visitor_id: 'v' }, 404, 'not_found');
    // Rejected at once, not after the topic's two redeliveries.
    expect(Date.now() - t0).toBeLessThan(2000);
    await refused('tracking', '/tracking-events', { event_type: 'view', campaign_id: 'rest-1', video_id: 'vid-2', visitor_id: 'v' }, 409, 'conflict');
  });

  it('commission: GET|PUT /plans/:campaign_id, POST /commissions, GET /commissions[/:id], and its refusals', async () => {
    const base = url('commission');
    const before = await getJson(`${base}/plans/rest-1`);
    expect(before).toMatchObject({
      status: 200,
      body: { campaign_id: 'rest-1', own: {}, effective: { click: expect.any(Object), view: expect.any(Object), conversion: expect.any(Object) } },
    });
    const plan = { click: { kind: 'flat', amountCents: 40 } };
    expect(await postJson(`${base}/plans/rest-1`, plan, {}, 'PUT')).toMatchObject({ status: 200, body: { own: plan } });
    expect(await getJson(`${base}/plans/rest-1`)).toMatchObject({ status: 200, body: { own: plan, effective: { click: plan.click } } });
    const badPlan = await postJson(`${base}/plans/rest-1`, { click: { kind: 'flat', amountCents: -1 }, tip: {} }, {}, 'PUT');
    expect(badPlan.status).toBe(400);
    expect(badPlan.body.field_errors.map((f: { path: string }) => f.path).sort()).toEqual(['click.amountCents', 'tip']);
    expect(await postJson(`${base}/plans/rest-1`, '{"click":', {}, 'PUT')).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(await postJson(`${base}/plans/rest-1`, plan)).toMatchObject({
      status: 405,
      body: { error: 'method_not_allowed', message: expect.stringMatching(/GET or PUT|PUT or GET/) },
    });
    // The refused plan did not replace the good one.
    expect((await getJson(`${base}/plans/rest-1`)).body.own).toEqual(plan);

    const calc = { tracking_event_id: 'te-c1', campaign_id: 'rest-1', video_id: 'vid-1', user_id: 'owner-rest-1', event_type: 'click' };
    const made = await postJson(`${base}/commissions`, calc);
    expect(made).toMatchObject({ status: 201, body: { result: { amountMinor: 40, rule: 'campaign.click', trackingEventId: 'te-c1' } } });
    expect(made.body.emitted.map((e: { type: string }) => e.type)).toEqual(['commission.calculated.v1', 'payment.process.command.v1']);
    const commissionId = made.body.result.commissionId as string;
    expect(await getJson(`${base}/commissions/${commissionId}`)).toMatchObject({ status: 200, body: { commissionId, amountMinor: 40 } });
    expect(await getJson(`${base}/commissions/none`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await getJson(`${base}/commissions?campaign_id=rest-1`)).body.commissions.map((c: { commissionId: string }) => c.commissionId)).toEqual([
      commissionId,
    ]);

    await refused('commission', '/commissions', calc, 409, 'duplicate');
    await refused('commission', '/commissions', { ...calc, tracking_event_id: 'te-c2', event_type: 'conversion' }, 422, 'validation_failed');
  });

  it('payment: POST /payments, GET /payments[/:id], GET /provider, POST /provider/failures, a 503 retried with the same Idempotency-Key', async () => {
    const base = url('payment');
    const pay = { commission_id: 'k-1', user_id: 'u-1', amount_minor: 500, idempotency_key: 'k-1' };
    const paid = await postJson(`${base}/payments`, pay);
    expect(paid).toMatchObject({
      status: 201,
      body: { result: { status: 'paid', commissionId: 'k-1', amountMinor: 500 }, emitted: [{ type: 'payment.processed.v1' }] },
    });
    expect(await getJson(`${base}/payments/${paid.body.result.paymentId}`)).toMatchObject({ status: 200, body: { commissionId: 'k-1' } });
    expect(await getJson(`${base}/payments/none`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    await refused('payment', '/payments', { ...pay, idempotency_key: 'k-1b' }, 409, 'duplicate');
    const zero = await refused('payment', '/payments', { ...pay, commission_id: 'k-0', idempotency_key: 'k-0', amount_minor: 0 }, 422, 'validation_failed');
    expect(zero.field_errors).toEqual([expect.objectContaining({ path: 'amount_minor' })]);
    expect(await postJson(`${base}/payments`, { ...pay, amount_minor: 'lots' })).toMatchObject({
      status: 400,
      body: { field_errors: [expect.objectContaining({ path: 'amount_minor' })] },
    });
    // Over the provider's limit: refused for good, reported as a failed payment (not a 4xx).
    expect(await postJson(`${base}/payments`, { ...pay, commission_id: 'k-big', idempotency_key: 'k-big', amount_minor: 100_000_001 })).toMatchObject({
      status: 201,
      body: { result: { status: 'failed' } },
    });

    for (const bad of [{}, { fail_next: -1 }, { fail_next: 1.5 }, { failure_rate: 2 }]) {
      expect(await postJson(`${base}/provider/failures`, bad), JSON.stringify(bad)).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    }
    expect(await getJson(`${base}/provider/failures`)).toMatchObject({ status: 405 });
    expect(await postJson(`${base}/provider/failures`, { fail_next: 1 })).toMatchObject({ status: 200, body: { ok: true } });
    const flaky = { commission_id: 'k-2', user_id: 'u-2', amount_minor: 700, idempotency_key: 'k-2' };
    const unavailable = await postJson(`${base}/payments`, flaky, { 'idempotency-key': 'req-k-2' });
    expect(unavailable).toMatchObject({ status: 503, body: { error: 'unavailable', retriable: true } });
    expect((await getJson(`${base}/payments?commission_id=k-2`)).body.payments).toEqual([]);
    const retried = await postJson(`${base}/payments`, flaky, { 'idempotency-key': 'req-k-2' });
    expect(retried).toMatchObject({ status: 201, body: { id: unavailable.body.id, result: { status: 'paid' } } });
    const again = await postJson(`${base}/payments`, flaky, { 'idempotency-key': 'req-k-2' });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, id: unavailable.body.id } });
    expect((await getJson(`${base}/payments?commission_id=k-2`)).body.payments).toHaveLength(1);
    // Two payouts made (k-1, k-2); the refused one and the 503 made none.
    expect(await getJson(`${base}/provider`)).toMatchObject({ status: 200, body: { count: 2, totalCents: 1200 } });
  });

  it('every refusal answered over HTTP is on its event topic exactly once', async () => {
    await outboxesDrained((['campaign', 'tracking', 'commission', 'payment'] as const).map(url));
    for (const svc of ['campaign', 'tracking', 'commission', 'payment'] as const) {
      const events = await readAllDecoded(client, scope.cfg, `${svc}-events`);
      const ids = events.filter((e) => e.env.type === 'command.rejected.v1').map((e) => e.env.id);
      expect(ids.sort(), svc).toEqual([...rejections[svc]!].sort());
    }
    expect(Object.values(rejections).map((r) => r.length)).toEqual([5, 5, 2, 2]);
  });
});
