import { describe, expect, it } from 'vitest';
import { commissionService } from '../../../src/services/commission/service.js';
import { harness } from './helpers.js';

const calc = (over: Record<string, unknown> = {}) => ({
  commission_id: 'k1',
  tracking_event_id: 't1',
  campaign_id: 'c1',
  video_id: 'v1',
  user_id: 'owner',
  event_type: 'click',
  ...over,
});

describe('commission service handlers', () => {
  it('computes a click with the default plan → commission.calculated.v1 and payment.process.command.v1', async () => {
    const h = harness(commissionService());
    const { env, outcome } = await h.send('commission.calculate.command.v1', calc());
    expect(outcome.kind).toBe('accepted');
    const [calculated, pay] = await h.outbox();
    expect(calculated).toMatchObject({
      type: 'commission.calculated.v1',
      causation_id: env.id,
      payload: { amount_minor: 25, rule: 'default.click', rate_bps: null, commission_id: 'k1' },
    });
    expect(pay).toMatchObject({
      type: 'payment.process.command.v1',
      causation_id: calculated!.id,
      correlation_id: env.correlation_id,
      key: 'k1',
      payload: { commission_id: 'k1', user_id: 'owner', amount_minor: 25, idempotency_key: 'k1' },
    });
    const stored = await h.repo((r) => r.commission('k1'));
    expect(stored?.paymentId).toBe((pay!.payload as { payment_id: string }).payment_id);
  });

  it('uses the campaign plan when one is set', async () => {
    const h = harness(commissionService());
    await h.store.transaction((tx) => tx.repo.setPlan('c1', { conversion: { kind: 'percent', basisPoints: 2000 } }, 1));
    await h.send('commission.calculate.command.v1', calc({ event_type: 'conversion', sale_amount_minor: 10_000 }));
    const [calculated] = await h.outbox();
    expect(calculated!.payload).toMatchObject({ amount_minor: 2000, rule: 'campaign.conversion', rate_bps: 2000 });
  });

  it('sends no payment for a zero commission', async () => {
    const h = harness(commissionService());
    await h.store.transaction((tx) => tx.repo.setPlan('c1', { view: { kind: 'flat', amountCents: 0 } }, 1));
    await h.send('commission.calculate.command.v1', calc({ event_type: 'view' }));
    expect((await h.outbox()).map((m) => m.type)).toEqual(['commission.calculated.v1']);
  });

  it('one commission per tracking event: a second command for it is rejected as a duplicate', async () => {
    const h = harness(commissionService());
    await h.send('commission.calculate.command.v1', calc());
    const { outcome } = await h.send('commission.calculate.command.v1', calc({ commission_id: 'k2' }));
    expect(outcome.kind === 'rejected' && outcome.reason.reasonCode).toBe('duplicate');
    expect(await h.repo((r) => r.totals())).toMatchObject({ commissions: 1, commission_amount_minor: 25 });
  });

  it('a conversion without a sale amount is refused', async () => {
    const h = harness(commissionService());
    const { outcome } = await h.send('commission.calculate.command.v1', calc({ event_type: 'conversion' }));
    expect(outcome.kind === 'rejected' && outcome.reason.fieldErrors[0]?.path).toBe('sale_amount_minor');
  });
});
