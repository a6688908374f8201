import type { Sql } from '../store/sql.js';
import { randomUUID } from 'node:crypto';
import { CommandRejected, invalid, RetryLater, type FieldProblem, type ServiceDefinition } from '../host/definition.js';
import { requireCurrency, requireText, requireTrackedEvent } from '../validation.js';
import { limitOf } from '../campaign/service.js';

/**
 * The tracking service: views, clicks and conversions on campaign videos.
 * - `tracking.create_event.command.v1`: a known campaign and one of its videos, a visitor, a
 *   sale amount for a conversion (and only for a conversion), an unused id →
 *   `tracking_event.created.v1`, then `commission.calculate.command.v1` in the same workflow.
 * - It keeps its own view of campaigns and videos from `campaign-events` (its own
 *   subscription). That view may lag the campaign service by a moment, so an unknown campaign
 *   or video is retried (negative acknowledgement) twice before the command is rejected.
 */

export type TrackingEventType = 'view' | 'click' | 'conversion';

export interface KnownCampaign {
  campaignId: string;
  userId: string;
  currency: string;
}
export interface KnownVideo {
  videoId: string;
  campaignId: string;
}

export interface TrackingEvent {
  trackingEventId: string;
  eventType: TrackingEventType;
  campaignId: string;
  videoId: string;
  visitorId: string;
  saleAmountMinor: number | null;
  currency: string;
  commissionId: string;
  recordedAt: number;
}

export interface TrackingRepo {
  campaign(id: string): Promise<KnownCampaign | undefined>;
  upsertCampaign(c: KnownCampaign): Promise<void>;
  video(id: string): Promise<KnownVideo | undefined>;
  upsertVideo(v: KnownVideo): Promise<void>;
  event(id: string): Promise<TrackingEvent | undefined>;
  insertEvent(e: TrackingEvent): Promise<void>;
  events(campaignId: string | undefined, limit: number): Promise<TrackingEvent[]>;
  counts(): Promise<{ campaigns: number; videos: number; tracking_events: number }>;
}

export const trackingMigrations = [
  {
    version: 2,
    name: 'campaign view, tracking events',
    sql: `
      CREATE TABLE known_campaigns (campaign_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, currency TEXT NOT NULL);
      CREATE TABLE known_videos (video_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL);
      CREATE TABLE tracking_events (
        tracking_event_id TEXT PRIMARY KEY,
        event_type TEXT NOT NULL CHECK (event_type IN ('view', 'click', 'conversion')),
        campaign_id TEXT NOT NULL,
        video_id TEXT NOT NULL,
        visitor_id TEXT NOT NULL,
        sale_amount_minor INTEGER,
        currency TEXT NOT NULL,
        commission_id TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
      );
      CREATE INDEX tracking_events_by_campaign ON tracking_events (campaign_id, recorded_at);
    `,
  },
];

/** The repository over either store's SQL (see `store/sql.ts`). */
export function trackingRepo(sql: Sql): TrackingRepo {
  type ERow = {
    tracking_event_id: string;
    event_type: TrackingEventType;
    campaign_id: string;
    video_id: string;
    visitor_id: string;
    sale_amount_minor: number | null;
    currency: string;
    commission_id: string;
    recorded_at: number;
  };
  const toEvent = (r: ERow): TrackingEvent => ({
    trackingEventId: r.tracking_event_id,
    eventType: r.event_type,
    campaignId: r.campaign_id,
    videoId: r.video_id,
    visitorId: r.visitor_id,
    saleAmountMinor: r.sale_amount_minor,
    currency: r.currency,
    commissionId: r.commission_id,
    recordedAt: r.recorded_at,
  });
  return {
    async campaign(id) {
      const r = await sql.get<{ campaign_id: string; user_id: string; currency: string }>('SELECT * FROM known_campaigns WHERE campaign_id = ?', id);
      return r && { campaignId: r.campaign_id, userId: r.user_id, currency: r.currency };
    },
    async upsertCampaign(c) {
      await sql.run(
        'INSERT INTO known_campaigns (campaign_id, user_id, currency) VALUES (?, ?, ?) ON CONFLICT (campaign_id) DO UPDATE SET user_id = excluded.user_id, currency = excluded.currency',
        c.campaignId,
        c.userId,
        c.currency,
      );
    },
    async video(id) {
      const r = await sql.get<{ video_id: string; campaign_id: string }>('SELECT * FROM known_videos WHERE video_id = ?', id);
      return r && { videoId: r.video_id, campaignId: r.campaign_id };
    },
    async upsertVideo(v) {
      await sql.run(
        'INSERT INTO known_videos (video_id, campaign_id) VALUES (?, ?) ON CONFLICT (video_id) DO UPDATE SET campaign_id = excluded.campaign_id',
        v.videoId,
        v.campaignId,
      );
    },
    async event(id) {
      const r = await sql.get<ERow>('SELECT * FROM tracking_events WHERE tracking_event_id = ?', id);
      return r && toEvent(r);
    },
    async insertEvent(e) {
      await sql.run(
        'INSERT INTO tracking_events (tracking_event_id, event_type, campaign_id, video_id, visitor_id, sale_amount_minor, currency, commission_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        e.trackingEventId,
        e.eventType,
        e.campaignId,
        e.videoId,
        e.visitorId,
        e.saleAmountMinor,
        e.currency,
        e.commissionId,
        e.recordedAt,
      );
    },
    async events(campaignId, limit) {
      const rows =
        campaignId === undefined
          ? await sql.all<ERow>('SELECT * FROM tracking_events ORDER BY recorded_at DESC LIMIT ?', limit)
          : await sql.all<ERow>('SELECT * FROM tracking_events WHERE campaign_id = ? ORDER BY recorded_at DESC LIMIT ?', campaignId, limit);
      return rows.map(toEvent);
    },
    async counts() {
      return (await sql.get<{ campaigns: number; videos: number; tracking_events: number }>(
        'SELECT (SELECT COUNT(*) FROM known_campaigns) AS campaigns, (SELECT COUNT(*) FROM known_videos) AS videos, (SELECT COUNT(*) FROM tracking_events) AS tracking_events',
      ))!;
    },
  };
}

interface CreateTrackingEventPayload {
  tracking_event_id: string;
  event_type: TrackingEventType;
  campaign_id: string;
  video_id: string;
  visitor_id: string;
  sale_amount_minor?: number | null;
  currency?: string;
}

export function trackingService(): ServiceDefinition<TrackingRepo> {
  return {
    name: 'tracking',
    sendsTo: ['commission-commands'],
    migrations: trackingMigrations,
    repo: trackingRepo,
    commands: {
      'tracking.create_event.command.v1': async (p: CreateTrackingEventPayload, { repo, now }) => {
        const problems: FieldProblem[] = [];
        requireText(problems, 'tracking_event_id', p.tracking_event_id, 100);
        requireText(problems, 'campaign_id', p.campaign_id, 100);
        requireText(problems, 'video_id', p.video_id, 100);
        requireText(problems, 'visitor_id', p.visitor_id, 100);
        requireCurrency(problems, 'currency', p.currency ?? 'USD');
        requireTrackedEvent(problems, p, { strict: true });
        if (problems.length) throw invalid(problems, p.tracking_event_id);

        if (await repo.event(p.tracking_event_id)) {
          throw new CommandRejected(
            'duplicate',
            `tracking event ${p.tracking_event_id} already exists`,
            [{ path: 'tracking_event_id', message: 'already taken' }],
            p.tracking_event_id,
          );
        }
        const campaign = await repo.campaign(p.campaign_id);
        if (!campaign) {
          throw new RetryLater(
            new CommandRejected(
              'not_found',
              `campaign ${p.campaign_id} is not known to the tracking service`,
              [{ path: 'campaign_id', message: 'no such campaign' }],
              p.tracking_event_id,
            ),
          );
        }
        const video = await repo.video(p.video_id);
        if (!video) {
          throw new RetryLater(
            new CommandRejected(
              'not_found',
              `video ${p.video_id} is not known to the tracking service`,
              [{ path: 'video_id', message: 'no such video' }],
              p.tracking_event_id,
            ),
          );
        }
        if (video.campaignId !== p.campaign_id) {
          throw new CommandRejected(
            'conflict',
            `video ${p.video_id} belongs to campaign ${video.campaignId}, not ${p.campaign_id}`,
            [{ path: 'video_id', message: 'not a video of this campaign' }],
            p.tracking_event_id,
          );
        }
        const e: TrackingEvent = {
          trackingEventId: p.tracking_event_id,
          eventType: p.event_type,
          campaignId: p.campaign_id,
          videoId: p.video_id,
          visitorId: p.visitor_id.trim(),
          saleAmountMinor: p.sale_amount_minor ?? null,
          currency: p.currency ?? campaign.currency,
          commissionId: randomUUID(),
          recordedAt: now,
        };
        await repo.insertEvent(e);
        return {
          emit: [
            {
              type: 'tracking_event.created.v1',
              payload: {
                tracking_event_id: e.trackingEventId,
                event_type: e.eventType,
                campaign_id: e.campaignId,
                video_id: e.videoId,
                visitor_id: e.visitorId,
                sale_amount_minor: e.saleAmountMinor,
                currency: e.currency,
              },
            },
            {
              type: 'commission.calculate.command.v1',
              payload: {
                commission_id: e.commissionId,
                tracking_event_id: e.trackingEventId,
                campaign_id: e.campaignId,
                video_id: e.videoId,
                user_id: campaign.userId,
                event_type: e.eventType,
                sale_amount_minor: e.saleAmountMinor,
                currency: e.currency,
              },
            },
          ],
          result: e,
        };
      },
    },
    follows: [
      {
        topic: 'campaign-events',
        handlers: {
          'campaign.created.v1': async (p: { campaign_id: string; user_id: string; currency?: string }, { repo }) => {
            await repo.upsertCampaign({ campaignId: p.campaign_id, userId: p.user_id, currency: p.currency ?? 'USD' });
            return { emit: [] };
          },
          'video.added.v1': async (p: { campaign_id: string; video_id: string }, { repo }) => {
            await repo.upsertVideo({ videoId: p.video_id, campaignId: p.campaign_id });
            return { emit: [] };
          },
        },
      },
    ],
    routes: [
      { method: 'POST', path: '/tracking-events', command: 'tracking.create_event.command.v1', summary: 'record a view, click or conversion' },
      {
        method: 'GET',
        path: '/tracking-events',
        summary: 'recent tracking events (?campaign_id=, ?limit=)',
        query: async (repo, _p, url) => ({
          status: 200,
          body: { tracking_events: await repo.events(url.searchParams.get('campaign_id') ?? undefined, limitOf(url)) },
        }),
      },
      {
        method: 'GET',
        path: '/tracking-events/:tracking_event_id',
        summary: 'one tracking event',
        query: async (repo, params) => {
          const e = await repo.event(params.tracking_event_id!);
          return e
            ? { status: 200, body: e }
            : { status: 404, body: { error: 'not_found', message: `tracking event ${params.tracking_event_id} does not exist` } };
        },
      },
    ],
    stats: (repo) => repo.counts(),
  };
}
