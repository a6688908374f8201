/**
 * Sample data, not domain logic: the messages of one tracking workflow exactly as the four
 * services write them, for tests and benchmarks that feed readers, the dashboard or a
 * broker without running the services. Fresh ids on every call.
 */
import { randomUUID } from 'node:crypto';
import { newEnvelope, type AnyEnvelope } from './envelope.js';
import type { TopicShortName } from '../topics.js';

export interface WorkflowStep {
  topic: TopicShortName;
  env: AnyEnvelope;
}

/**
 * The six messages of one tracking workflow, as the services would write them:
 * tracking command → tracking event → commission command → commission event →
 * payment command → payment event (or a rejection of the payment command).
 */
export function trackingChain(opts: { reject?: boolean } = {}): WorkflowStep[] {
  const campaign = randomUUID();
  const video = randomUUID();
  const te = randomUUID();
  const commission = randomUUID();
  const user = 'user-42';
  const c1 = newEnvelope('tracking.create_event.command.v1', {
    tracking_event_id: te,
    event_type: 'conversion',
    campaign_id: campaign,
    video_id: video,
    visitor_id: 'visitor-7',
    sale_amount_minor: 12_500,
    currency: 'USD',
  });
  const e1 = newEnvelope(
    'tracking_event.created.v1',
    {
      tracking_event_id: te,
      event_type: 'conversion',
      campaign_id: campaign,
      video_id: video,
      visitor_id: 'visitor-7',
      sale_amount_minor: 12_500,
      currency: 'USD',
    },
    { causedBy: c1 },
  );
  const c2 = newEnvelope(
    'commission.calculate.command.v1',
    {
      commission_id: commission,
      tracking_event_id: te,
      campaign_id: campaign,
      video_id: video,
      user_id: user,
      event_type: 'conversion',
      sale_amount_minor: 12_500,
      currency: 'USD',
    },
    { causedBy: e1 },
  );
  const e2 = newEnvelope(
    'commission.calculated.v1',
    {
      commission_id: commission,
      tracking_event_id: te,
      campaign_id: campaign,
      user_id: user,
      event_type: 'conversion',
      amount_minor: 1_250,
      currency: 'USD',
      rule: 'conversion-10pct',
      rate_bps: 1000,
    },
    { causedBy: c2 },
  );
  const c3 = newEnvelope(
    'payment.process.command.v1',
    { payment_id: randomUUID(), commission_id: commission, user_id: user, amount_minor: 1_250, currency: 'USD', idempotency_key: commission },
    { causedBy: e2 },
  );
  const e3 = opts.reject
    ? newEnvelope(
        'command.rejected.v1',
        { command_id: c3.id, command_type: c3.type, reason_code: 'validation_failed', message: 'payout account missing' },
        { causedBy: c3 },
      )
    : newEnvelope(
        'payment.processed.v1',
        {
          payment_id: c3.payload.payment_id,
          commission_id: commission,
          user_id: user,
          amount_minor: 1_250,
          currency: 'USD',
          status: 'paid',
          provider_reference: 'sim-1',
          idempotency_key: commission,
        },
        { causedBy: c3 },
      );
  return [
    { topic: 'tracking-commands', env: c1 },
    { topic: 'tracking-events', env: e1 },
    { topic: 'commission-commands', env: c2 },
    { topic: 'commission-events', env: e2 },
    { topic: 'payment-commands', env: c3 },
    { topic: 'payment-events', env: e3 },
  ] as WorkflowStep[];
}
