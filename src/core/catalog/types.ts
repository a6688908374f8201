// Generated from schemas/*.avsc by src/core/catalog/typegen.ts — do not edit by hand.
// test/unit/catalog/types.test.ts fails when this file is out of date; MISO_UPDATE_TYPES=1 rewrites it.

/** Command to the campaign service: attach a video to an existing campaign. */
export interface AddVideo {
  /** Id of the campaign the video joins; the campaign must exist. */
  campaign_id: string;
  /** Id of the new video, chosen by the sender (a UUID). */
  video_id: string;
  /** Where the video is watched: an absolute http or https URL, unique within the campaign. */
  url: string;
  /** Title of the video as shown to visitors. */
  title: string;
}

/** Event from the campaign service: a campaign was created. */
export interface CampaignCreated {
  /** Id of the new campaign. */
  campaign_id: string;
  /** Id of the user who owns the campaign and earns its commissions. */
  user_id: string;
  /** Display name of the campaign. */
  name: string;
  /** Free text describing the campaign, if any. */
  description: null | string;
  /** Total budget in minor units of currency, if the campaign has one. */
  budget_minor: null | number;
  /** ISO 4217 code of the currency of the budget and of the campaign's commissions. */
  currency: string;
}

/** Command to the campaign service: create a campaign owned by a user. */
export interface CreateCampaign {
  /** Id of the new campaign, chosen by the sender (a UUID) so that a resent command creates nothing twice. */
  campaign_id: string;
  /** Id of the user who owns the campaign and earns its commissions. */
  user_id: string;
  /** Display name of the campaign; must not be empty. */
  name: string;
  /** Free text describing the campaign, if any. */
  description: null | string;
  /** Total budget in minor units of currency (cents), if the campaign has one. */
  budget_minor: null | number;
  /** ISO 4217 code of the currency of the budget and of the campaign's commissions. */
  currency: string;
}

/** Event from the campaign service: a video was attached to a campaign. */
export interface VideoAdded {
  /** Id of the campaign the video belongs to. */
  campaign_id: string;
  /** Id of the video. */
  video_id: string;
  /** Where the video is watched. */
  url: string;
  /** Title of the video. */
  title: string;
  /** Id of the campaign owner, so consumers need not look the campaign up. */
  user_id: string;
}

/** Command to the commission service: compute the commission owed for one tracking event. The tracking service sends it after recording the event. */
export interface CalculateCommission {
  /** Id of the commission to compute, chosen by the sender (a UUID). */
  commission_id: string;
  /** Id of the tracking event the commission is for; one commission per tracking event. */
  tracking_event_id: string;
  /** Id of the campaign whose commission plan applies. */
  campaign_id: string;
  /** Id of the video of the tracking event. */
  video_id: string;
  /** Id of the user who earns the commission (the campaign owner). */
  user_id: string;
  /** Kind of the tracking event: view, click or conversion. */
  event_type: TrackingEventType;
  /** Sale amount of a conversion in minor units of currency; absent for views and clicks. */
  sale_amount_minor: null | number;
  /** ISO 4217 code of the currency of the sale amount and of the commission. */
  currency: string;
}

/** Event from the commission service: the commission owed for a tracking event was computed. */
export interface CommissionCalculated {
  /** Id of the commission. */
  commission_id: string;
  /** Id of the tracking event the commission is for. */
  tracking_event_id: string;
  /** Id of the campaign whose plan was applied. */
  campaign_id: string;
  /** Id of the user who earns the commission. */
  user_id: string;
  /** Kind of the tracking event the commission is for. */
  event_type: TrackingEventType;
  /** Commission owed in minor units of currency (may be zero). */
  amount_minor: number;
  /** ISO 4217 code of the currency of the amount. */
  currency: string;
  /** Name of the commission rule that produced the amount, e.g. "default.click" or "campaign.conversion". */
  rule: string;
  /** Rate applied to the sale amount in basis points (1/100 of a percent) for percentage rules; absent for flat-fee rules. */
  rate_bps: null | number;
}

/** Event from any service: a command was refused (invalid fields or a broken domain rule) and will not be retried. Published on the event topic of the service that owns the command. */
export interface CommandRejected {
  /** Envelope id of the refused command (also the causation id of this event). */
  command_id: string;
  /** Message type of the refused command, e.g. "campaign.create.command.v1". */
  command_type: string;
  /** Id of the aggregate the command was about (campaign id, tracking event id...), when known. */
  aggregate_id: null | string;
  /** Machine-readable reason: validation_failed, not_found, duplicate, conflict or undecodable. */
  reason_code: string;
  /** Why the command was refused, for a person to read. */
  message: string;
  /** The fields at fault, when the command was refused for its content. */
  field_errors: FieldError[];
}

/** One field of a refused command and what is wrong with it. */
export interface FieldError {
  /** Dot path of the field inside the command payload, e.g. "name" or "sale_amount_minor". */
  path: string;
  /** What is wrong with the field, for a person to read. */
  message: string;
}

/** Event from the payment service: a payout was made, or refused for good by the provider. */
export interface PaymentProcessed {
  /** Id of the payment. */
  payment_id: string;
  /** Id of the commission that was paid. */
  commission_id: string;
  /** Id of the user who received the payout. */
  user_id: string;
  /** Amount paid in minor units of currency. */
  amount_minor: number;
  /** ISO 4217 code of the currency of the amount. */
  currency: string;
  /** Outcome of the payout: paid or failed. */
  status: PaymentStatus;
  /** Reference the payout provider gave the transfer; absent when the payout failed. */
  provider_reference: null | string;
  /** Key under which the payout was made; a second payout with the same key is refused. */
  idempotency_key: string;
  /** Why the provider refused the payout, when status is failed. */
  failure_reason: null | string;
}

/** Outcome of a payout: paid (the provider accepted it) or failed (the provider refused it for good; transient provider errors are retried and never reported as failed). */
export type PaymentStatus = 'paid' | 'failed';
export const PAYMENT_STATUS_SYMBOLS = ['paid', 'failed'] as const;

/** Command to the payment service: pay a commission out to its earner, once. */
export interface ProcessPayment {
  /** Id of the payment, chosen by the sender (a UUID). */
  payment_id: string;
  /** Id of the commission being paid; a commission is paid at most once. */
  commission_id: string;
  /** Id of the user who receives the payout. */
  user_id: string;
  /** Amount to pay in minor units of currency; must be positive. */
  amount_minor: number;
  /** ISO 4217 code of the currency of the amount. */
  currency: string;
  /** Key the payout provider uses to refuse a second payout of the same commission (usually the commission id). */
  idempotency_key: string;
}

/** Command to the tracking service: record what a visitor did with a campaign video. */
export interface CreateTrackingEvent {
  /** Id of the new tracking event, chosen by the sender (a UUID). */
  tracking_event_id: string;
  /** What the visitor did: view, click or conversion. */
  event_type: TrackingEventType;
  /** Id of the campaign the video belongs to. */
  campaign_id: string;
  /** Id of the video the visitor interacted with. */
  video_id: string;
  /** Id of the visitor (a user id or an anonymous visitor id). */
  visitor_id: string;
  /** Amount of the sale in minor units of currency; required for a conversion, absent otherwise. */
  sale_amount_minor: null | number;
  /** ISO 4217 code of the currency of the sale amount. */
  currency: string;
}

/** Event from the tracking service: a visitor interaction was recorded. */
export interface TrackingEventCreated {
  /** Id of the tracking event. */
  tracking_event_id: string;
  /** What the visitor did: view, click or conversion. */
  event_type: TrackingEventType;
  /** Id of the campaign the video belongs to. */
  campaign_id: string;
  /** Id of the video the visitor interacted with. */
  video_id: string;
  /** Id of the visitor. */
  visitor_id: string;
  /** Sale amount of a conversion in minor units of currency; absent for views and clicks. */
  sale_amount_minor: null | number;
  /** ISO 4217 code of the currency of the sale amount. */
  currency: string;
}

/** What a visitor did with a campaign video: watched it (view), followed its link (click) or bought through it (conversion, which carries a sale amount). */
export type TrackingEventType = 'view' | 'click' | 'conversion';
export const TRACKING_EVENT_TYPE_SYMBOLS = ['view', 'click', 'conversion'] as const;

/** The payload record of each message type. */
export interface PayloadByType {
  'campaign.create.command.v1': CreateCampaign;
  'campaign.add_video.command.v1': AddVideo;
  'tracking.create_event.command.v1': CreateTrackingEvent;
  'commission.calculate.command.v1': CalculateCommission;
  'payment.process.command.v1': ProcessPayment;
  'campaign.created.v1': CampaignCreated;
  'video.added.v1': VideoAdded;
  'tracking_event.created.v1': TrackingEventCreated;
  'commission.calculated.v1': CommissionCalculated;
  'payment.processed.v1': PaymentProcessed;
  'command.rejected.v1': CommandRejected;
}

/** Payload fields that have a default in the schema: a sender may leave them out. */
export interface DefaultedFields {
  'campaign.create.command.v1': 'description' | 'budget_minor' | 'currency';
  'campaign.add_video.command.v1': never;
  'tracking.create_event.command.v1': 'sale_amount_minor' | 'currency';
  'commission.calculate.command.v1': 'sale_amount_minor' | 'currency';
  'payment.process.command.v1': 'currency';
  'campaign.created.v1': 'description' | 'budget_minor' | 'currency';
  'video.added.v1': never;
  'tracking_event.created.v1': 'sale_amount_minor' | 'currency';
  'commission.calculated.v1': 'currency' | 'rate_bps';
  'payment.processed.v1': 'currency' | 'provider_reference' | 'failure_reason';
  'command.rejected.v1': 'aggregate_id' | 'field_errors';
}
