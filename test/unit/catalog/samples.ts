import type { MessageType, PayloadInput } from '../../../src/core/catalog/index.js';

/** One realistic payload per message type (every type of the catalog appears). */
export const SAMPLES: { [K in MessageType]: PayloadInput<K> } = {
  'campaign.create.command.v1': { campaign_id: 'a3c4f7e2-1b7d-4c1e-9a51-0b6f3f1d2e01', user_id: 'user123', name: 'My Campaign', description: 'Spring launch', budget_minor: 500_000, currency: 'EUR' },
  'campaign.add_video.command.v1': { campaign_id: 'a3c4f7e2-1b7d-4c1e-9a51-0b6f3f1d2e01', video_id: 'v-1', url: 'https://videos.example/v1', title: 'Unboxing' },
  'tracking.create_event.command.v1': { tracking_event_id: 'te-1', event_type: 'conversion', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'visitor-9', sale_amount_minor: 12_999 },
  'commission.calculate.command.v1': { commission_id: 'co-1', tracking_event_id: 'te-1', campaign_id: 'c-1', video_id: 'v-1', user_id: 'user123', event_type: 'click' },
  'payment.process.command.v1': { payment_id: 'p-1', commission_id: 'co-1', user_id: 'user123', amount_minor: 1_300, idempotency_key: 'co-1' },
  'campaign.created.v1': { campaign_id: 'c-1', user_id: 'user123', name: 'My Campaign' },
  'video.added.v1': { campaign_id: 'c-1', video_id: 'v-1', url: 'https://videos.example/v1', title: 'Unboxing', user_id: 'user123' },
  'tracking_event.created.v1': { tracking_event_id: 'te-1', event_type: 'view', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'visitor-9' },
  'commission.calculated.v1': { commission_id: 'co-1', tracking_event_id: 'te-1', campaign_id: 'c-1', user_id: 'user123', event_type: 'conversion', amount_minor: 1_300, rule: 'default.conversion', rate_bps: 1000 },
  'payment.processed.v1': { payment_id: 'p-1', commission_id: 'co-1', user_id: 'user123', amount_minor: 1_300, status: 'paid', provider_reference: 'prov-77', idempotency_key: 'co-1' },
  'command.rejected.v1': { command_id: '0d9c8a7b-6e5f-4a3b-9c2d-1e0f9a8b7c6d', command_type: 'campaign.create.command.v1', reason_code: 'validation_failed', message: 'name must not be empty', field_errors: [{ path: 'name', message: 'must not be empty' }] },
};
