import { describe, expect, it } from 'vitest';
import { paymentService } from '../../../src/services/payment/service.js';
import { SimulatedPayoutProvider } from '../../../src/services/payment/provider.js';
import { harness } from './helpers.js';

const pay = (over: Record<string, unknown> = {}) => ({
  payment_id: 'p1',
  commission_id: 'k1',
  user_id: 'owner',
  amount_minor: 500,
  idempotency_key: 'k1',
  ...over,
});

describe('payment service handlers', () => {
  it('pays through the provider → payment.processed.v1 with its reference', async () => {
    const provider = new SimulatedPayoutProvider({ file: ':memory:' });
    const h = harness(paymentService({ provider }));
    const { env, outcome } = await h.send('payment.process.command.v1', pay());
    expect(outcome.kind).toBe('accepted');
    const [ev] = await h.outbox();
    const ref = provider.lookup('k1')!.reference;
    expect(ev).toMatchObject({
      type: 'payment.processed.v1',
      causation_id: env.id,
      key: 'k1',
      payload: { status: 'paid', provider_reference: ref, amount_minor: 500, commission_id: 'k1' },
    });
  });

  it('a transient provider failure changes nothing and asks for a retry; the retry pays once', async () => {
    const provider = new SimulatedPayoutProvider({ file: ':memory:', failNext: 2 });
    const h = harness(paymentService({ provider }));
    const id = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
    expect((await h.send('payment.process.command.v1', pay(), { id })).outcome.kind).toBe('retry');
    // The second failure is "answer lost": the provider paid but the service never heard.
    expect((await h.send('payment.process.command.v1', pay(), { id, redeliveryCount: 1 })).outcome.kind).toBe('retry');
    expect(await h.repo((r) => r.payment('p1'))).toBeUndefined();
    expect(await h.outbox()).toHaveLength(0);
    expect((await h.send('payment.process.command.v1', pay(), { id, redeliveryCount: 2 })).outcome.kind).toBe('accepted');
    expect(provider.ledger()).toEqual({ count: 1, totalCents: 500 });
    expect(provider.calls).toBe(3);
    expect((await h.outbox()).map((m) => m.type)).toEqual(['payment.processed.v1']);
  });

  it('dead-letters a payment still failing on its last redelivery', async () => {
    const provider = new SimulatedPayoutProvider({ file: ':memory:', failureRate: 1 });
    const h = harness(paymentService({ provider }));
    const { outcome } = await h.send('payment.process.command.v1', pay(), { redeliveryCount: 3 });
    expect(outcome.kind).toBe('dead-letter');
    if (outcome.kind === 'dead-letter') expect(outcome.reason).toMatch(/failed 4 times; last error: payout provider/);
  });

  it('never pays a commission twice, even when asked with a new payment id', async () => {
    const provider = new SimulatedPayoutProvider({ file: ':memory:' });
    const h = harness(paymentService({ provider }));
    await h.send('payment.process.command.v1', pay());
    const { outcome } = await h.send('payment.process.command.v1', pay({ payment_id: 'p2', idempotency_key: 'other' }));
    expect(outcome.kind === 'rejected' && outcome.reason.reasonCode).toBe('duplicate');
    expect(provider.ledger().count).toBe(1);
  });

  it('a payout the provider refuses for good is reported as failed, not retried', async () => {
    const provider = new SimulatedPayoutProvider({ file: ':memory:', maxPayoutCents: 100 });
    const h = harness(paymentService({ provider }));
    const { outcome } = await h.send('payment.process.command.v1', pay({ amount_minor: 101 }));
    expect(outcome.kind).toBe('accepted');
    const [ev] = await h.outbox();
    expect(ev!.payload).toMatchObject({ status: 'failed', provider_reference: null, failure_reason: expect.stringContaining('limit') });
  });

  it('refuses a non-positive amount', async () => {
    const h = harness(paymentService({ provider: new SimulatedPayoutProvider({ file: ':memory:' }) }));
    const { outcome } = await h.send('payment.process.command.v1', pay({ amount_minor: 0 }));
    expect(outcome.kind === 'rejected' && outcome.reason.fieldErrors[0]?.path).toBe('amount_minor');
  });
});
