import { describe, expect, it } from 'vitest';
import { trackingService } from '../../../src/services/tracking/service.js';
import { harness } from './helpers.js';

async function withCampaign() {
  const h = harness(trackingService());
  await h.send('campaign.created.v1', { campaign_id: 'c1', user_id: 'owner-1', name: 'C', currency: 'EUR' }, { topic: 'campaign-events' });
  await h.send(
    'video.added.v1',
    { campaign_id: 'c1', video_id: 'v1', url: 'https://x.example/v1', title: 'V', user_id: 'owner-1' },
    { topic: 'campaign-events' },
  );
  return h;
}

describe('tracking service handlers', () => {
  it('learns campaigns and videos from campaign-events without publishing anything', async () => {
    const h = await withCampaign();
    expect(await h.repo((r) => r.counts())).toEqual({ campaigns: 1, videos: 1, tracking_events: 0 });
    expect(await h.outbox()).toHaveLength(0);
  });

  it('records a conversion → tracking_event.created.v1, then commission.calculate.command.v1 caused by that event', async () => {
    const h = await withCampaign();
    const { env, outcome } = await h.send('tracking.create_event.command.v1', {
      tracking_event_id: 't1',
      event_type: 'conversion',
      campaign_id: 'c1',
      video_id: 'v1',
      visitor_id: 'visitor-9',
      sale_amount_minor: 4999,
      currency: 'EUR',
    });
    expect(outcome.kind).toBe('accepted');
    const [created, calc] = await h.outbox();
    expect(created).toMatchObject({
      type: 'tracking_event.created.v1',
      causation_id: env.id,
      correlation_id: env.correlation_id,
      key: 't1',
      topic: 'persistent://unit/test/tracking-events',
    });
    expect(calc).toMatchObject({
      type: 'commission.calculate.command.v1',
      causation_id: created!.id,
      correlation_id: env.correlation_id,
      topic: 'persistent://unit/test/commission-commands',
      key: 't1',
      payload: {
        tracking_event_id: 't1',
        campaign_id: 'c1',
        video_id: 'v1',
        user_id: 'owner-1',
        event_type: 'conversion',
        sale_amount_minor: 4999,
        currency: 'EUR',
      },
    });
    expect(calc!.seq > created!.seq).toBe(true);
  });

  it('refuses sale amounts on views and clicks, and conversions without one', async () => {
    const h = await withCampaign();
    const base = { campaign_id: 'c1', video_id: 'v1', visitor_id: 'x' };
    const a = await h.send('tracking.create_event.command.v1', { ...base, tracking_event_id: 'a', event_type: 'conversion' });
    const b = await h.send('tracking.create_event.command.v1', { ...base, tracking_event_id: 'b', event_type: 'click', sale_amount_minor: 10 });
    const c = await h.send('tracking.create_event.command.v1', { ...base, tracking_event_id: 'c', event_type: 'conversion', sale_amount_minor: 0 });
    for (const r of [a, b, c]) expect(r.outcome.kind).toBe('rejected');
    const paths = (await h.outbox()).map((m) => (m.payload as { field_errors: { path: string }[] }).field_errors[0]?.path);
    expect(paths).toEqual(['sale_amount_minor', 'sale_amount_minor', 'sale_amount_minor']);
  });

  it('retries an unknown campaign (its view may lag) and rejects it after two redeliveries', async () => {
    const h = await withCampaign();
    const p = { tracking_event_id: 't9', event_type: 'view', campaign_id: 'c-unknown', video_id: 'v1', visitor_id: 'x' };
    const id = 'd3b07384-d9a0-4c5b-8c1e-2f5a1c0e9b77';
    expect((await h.send('tracking.create_event.command.v1', p, { id })).outcome.kind).toBe('retry');
    expect((await h.send('tracking.create_event.command.v1', p, { id, redeliveryCount: 1 })).outcome.kind).toBe('retry');
    const last = await h.send('tracking.create_event.command.v1', p, { id, redeliveryCount: 2 });
    expect(last.outcome.kind).toBe('rejected');
    if (last.outcome.kind === 'rejected') expect(last.outcome.reason.reasonCode).toBe('not_found');
    expect(await h.outbox()).toHaveLength(1);
  });

  it('rejects a video of another campaign as a conflict', async () => {
    const h = await withCampaign();
    await h.send('campaign.created.v1', { campaign_id: 'c2', user_id: 'o2', name: 'C2' }, { topic: 'campaign-events' });
    const { outcome } = await h.send('tracking.create_event.command.v1', {
      tracking_event_id: 't1',
      event_type: 'click',
      campaign_id: 'c2',
      video_id: 'v1',
      visitor_id: 'x',
    });
    expect(outcome.kind === 'rejected' && outcome.reason.reasonCode).toBe('conflict');
  });

  it('ignores event types it does not follow (rejections on campaign-events)', async () => {
    const h = await withCampaign();
    const { outcome } = await h.send(
      'command.rejected.v1',
      { command_id: 'x', command_type: 'campaign.create.command.v1', reason_code: 'duplicate', message: 'm' },
      { topic: 'campaign-events' },
    );
    expect(outcome.kind).toBe('ignored');
  });
});
