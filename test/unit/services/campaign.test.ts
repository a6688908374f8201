import { describe, expect, it } from 'vitest';
import { campaignService } from '../../../src/services/campaign/service.js';
import { harness } from './helpers.js';

describe('campaign service handlers', () => {
  it('creates a campaign → campaign.created.v1 in the same workflow, keyed by campaign id', async () => {
    const h = harness(campaignService());
    const { env, outcome } = await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: '  Summer  ', budget_minor: 100000 });
    expect(outcome.kind).toBe('accepted');
    const [ev, ...rest] = await h.outbox();
    expect(rest).toHaveLength(0);
    expect(ev).toMatchObject({
      type: 'campaign.created.v1',
      correlation_id: env.correlation_id,
      causation_id: env.id,
      topic: 'persistent://unit/test/campaign-events',
      key: 'c1',
      payload: { campaign_id: 'c1', user_id: 'u1', name: 'Summer', budget_minor: 100000, currency: 'USD', description: null },
    });
    expect(ev!.properties).toMatchObject({ type: 'campaign.created.v1', id: ev!.id, correlation_id: env.correlation_id, causation_id: env.id });
    expect(await h.repo((r) => r.campaign('c1'))).toMatchObject({ name: 'Summer', userId: 'u1' });
  });

  it('rejects an empty name and a taken id with rejection events naming the fields', async () => {
    const h = harness(campaignService());
    const bad = await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: '   ' });
    expect(bad.outcome.kind).toBe('rejected');
    await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: 'ok' });
    const dup = await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u2', name: 'again' });
    expect(dup.outcome.kind).toBe('rejected');
    const rejections = (await h.outbox()).filter((m) => m.type === 'command.rejected.v1');
    expect(rejections.map((r) => r.payload)).toEqual([
      expect.objectContaining({
        command_id: bad.env.id,
        command_type: 'campaign.create.command.v1',
        reason_code: 'validation_failed',
        field_errors: [{ path: 'name', message: 'must not be empty' }],
      }),
      expect.objectContaining({ command_id: dup.env.id, reason_code: 'duplicate', aggregate_id: 'c1' }),
    ]);
    expect(rejections[0]!.causation_id).toBe(bad.env.id);
    expect(rejections[0]!.topic).toBe('persistent://unit/test/campaign-events');
    expect(await h.repo((r) => r.campaign('c1'))).toMatchObject({ name: 'ok', userId: 'u1' });
  });

  it('adds videos: campaign must exist, URL valid and not already in the campaign', async () => {
    const h = harness(campaignService());
    await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: 'C' });
    await h.clearOutbox();
    const ok = await h.send('campaign.add_video.command.v1', { campaign_id: 'c1', video_id: 'v1', url: 'https://videos.example/v1', title: 'One' });
    expect(ok.outcome.kind).toBe('accepted');
    const cases = [
      { p: { campaign_id: 'nope', video_id: 'v2', url: 'https://videos.example/v2', title: 'T' }, reason: 'not_found' },
      { p: { campaign_id: 'c1', video_id: 'v3', url: 'ftp://videos.example/v3', title: 'T' }, reason: 'validation_failed' },
      { p: { campaign_id: 'c1', video_id: 'v4', url: 'not a url', title: 'T' }, reason: 'validation_failed' },
      { p: { campaign_id: 'c1', video_id: 'v5', url: 'https://videos.example/v1', title: 'Same URL' }, reason: 'duplicate' },
      { p: { campaign_id: 'c1', video_id: 'v1', url: 'https://videos.example/other', title: 'Same id' }, reason: 'duplicate' },
    ];
    for (const c of cases) {
      const { outcome } = await h.send('campaign.add_video.command.v1', c.p);
      expect(outcome.kind, JSON.stringify(c.p)).toBe('rejected');
      if (outcome.kind === 'rejected') expect(outcome.reason.reasonCode).toBe(c.reason);
    }
    const out = await h.outbox();
    expect(out[0]).toMatchObject({
      type: 'video.added.v1',
      payload: { campaign_id: 'c1', video_id: 'v1', user_id: 'u1', title: 'One' },
      causation_id: ok.env.id,
    });
    expect(out.slice(1).every((m) => m.type === 'command.rejected.v1')).toBe(true);
    expect(await h.repo((r) => r.videos('c1'))).toHaveLength(1);
  });

  it('handles a redelivered command once', async () => {
    const h = harness(campaignService());
    const id = '0b9b2f0e-7a51-4c1e-9a57-3f0f1b7a2c11';
    const first = await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: 'C' }, { id });
    const again = await h.send('campaign.create.command.v1', { campaign_id: 'c1', user_id: 'u1', name: 'C' }, { id, redeliveryCount: 1 });
    expect(first.outcome.kind).toBe('accepted');
    expect(again.outcome.kind).toBe('duplicate');
    expect(await h.outbox()).toHaveLength(1);
  });

  it('dead-letters bytes that do not decode and commands meant for another service', async () => {
    const h = harness(campaignService());
    const garbage = await h.processor.processBytes({ topic: 'campaign-commands', bytes: Buffer.from('definitely not avro'), redeliveryCount: 0 });
    expect(garbage).toMatchObject({ kind: 'dead-letter', envelope: undefined });
    if (garbage.kind === 'dead-letter') expect(garbage.reason).toMatch(/cannot decode/);
    expect(await h.outbox()).toHaveLength(0);
  });
});
