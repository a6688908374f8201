import type { Sql } from '../store/sql.js';
import { CommandRejected, invalid, type FieldProblem, type ServiceDefinition } from '../host/definition.js';
import { requireCurrency, requireHttpUrl, requireMinor, requireText } from '../validation.js';

/**
 * The campaign service: campaigns and their videos.
 * - `campaign.create.command.v1`: id not taken, name not empty, an owner → `campaign.created.v1`.
 * - `campaign.add_video.command.v1`: campaign exists, http(s) URL, title, the URL and the video
 *   id not already in the campaign → `video.added.v1`.
 */

export interface Campaign {
  campaignId: string;
  userId: string;
  name: string;
  description: string | null;
  budgetMinor: number | null;
  currency: string;
  createdAt: number;
}

export interface Video {
  videoId: string;
  campaignId: string;
  url: string;
  title: string;
  addedAt: number;
}

export interface CampaignRepo {
  campaign(id: string): Promise<Campaign | undefined>;
  /** The campaign, locked until the transaction ends: commands on one campaign take turns across instances. */
  lockCampaign(id: string): Promise<Campaign | undefined>;
  campaigns(limit: number): Promise<Campaign[]>;
  insertCampaign(c: Campaign): Promise<void>;
  video(videoId: string): Promise<Video | undefined>;
  videoByUrl(campaignId: string, url: string): Promise<Video | undefined>;
  videos(campaignId: string): Promise<Video[]>;
  insertVideo(v: Video): Promise<void>;
  counts(): Promise<{ campaigns: number; videos: number }>;
}

export const campaignMigrations = [
  {
    version: 2,
    name: 'campaigns and videos',
    sql: `
      CREATE TABLE campaigns (
        campaign_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        budget_minor INTEGER,
        currency TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE videos (
        video_id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        UNIQUE (campaign_id, url)
      );
    `,
  },
];

/** The repository over either store's SQL (see `store/sql.ts`). */
export function campaignRepo(sql: Sql): CampaignRepo {
  type CRow = {
    campaign_id: string;
    user_id: string;
    name: string;
    description: string | null;
    budget_minor: number | null;
    currency: string;
    created_at: number;
  };
  type VRow = { video_id: string; campaign_id: string; url: string; title: string; added_at: number };
  const toCampaign = (r: CRow): Campaign => ({
    campaignId: r.campaign_id,
    userId: r.user_id,
    name: r.name,
    description: r.description,
    budgetMinor: r.budget_minor,
    currency: r.currency,
    createdAt: r.created_at,
  });
  const toVideo = (r: VRow): Video => ({ videoId: r.video_id, campaignId: r.campaign_id, url: r.url, title: r.title, addedAt: r.added_at });
  return {
    async campaign(id) {
      const r = await sql.get<CRow>('SELECT * FROM campaigns WHERE campaign_id = ?', id);
      return r && toCampaign(r);
    },
    async lockCampaign(id) {
      const r = await sql.get<CRow>(`SELECT * FROM campaigns WHERE campaign_id = ?${sql.forUpdate}`, id);
      return r && toCampaign(r);
    },
    async campaigns(limit) {
      return (await sql.all<CRow>('SELECT * FROM campaigns ORDER BY created_at DESC LIMIT ?', limit)).map(toCampaign);
    },
    async insertCampaign(c) {
      await sql.run(
        'INSERT INTO campaigns (campaign_id, user_id, name, description, budget_minor, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        c.campaignId,
        c.userId,
        c.name,
        c.description,
        c.budgetMinor,
        c.currency,
        c.createdAt,
      );
    },
    async video(id) {
      const r = await sql.get<VRow>('SELECT * FROM videos WHERE video_id = ?', id);
      return r && toVideo(r);
    },
    async videoByUrl(campaignId, url) {
      const r = await sql.get<VRow>('SELECT * FROM videos WHERE campaign_id = ? AND url = ?', campaignId, url);
      return r && toVideo(r);
    },
    async videos(campaignId) {
      return (await sql.all<VRow>('SELECT * FROM videos WHERE campaign_id = ? ORDER BY added_at, video_id', campaignId)).map(toVideo);
    },
    async insertVideo(v) {
      await sql.run(
        'INSERT INTO videos (video_id, campaign_id, url, title, added_at) VALUES (?, ?, ?, ?, ?)',
        v.videoId,
        v.campaignId,
        v.url,
        v.title,
        v.addedAt,
      );
    },
    async counts() {
      return (await sql.get<{ campaigns: number; videos: number }>(
        'SELECT (SELECT COUNT(*) FROM campaigns) AS campaigns, (SELECT COUNT(*) FROM videos) AS videos',
      ))!;
    },
  };
}

interface CreateCampaignPayload {
  campaign_id: string;
  user_id: string;
  name: string;
  description?: string | null;
  budget_minor?: number | null;
  currency?: string;
}

interface AddVideoPayload {
  campaign_id: string;
  video_id: string;
  url: string;
  title: string;
}

export function campaignService(): ServiceDefinition<CampaignRepo> {
  return {
    name: 'campaign',
    migrations: campaignMigrations,
    repo: campaignRepo,
    commands: {
      'campaign.create.command.v1': async (p: CreateCampaignPayload, { repo, now }) => {
        const problems: FieldProblem[] = [];
        requireText(problems, 'campaign_id', p.campaign_id, 100);
        requireText(problems, 'user_id', p.user_id, 100);
        requireText(problems, 'name', p.name);
        if (p.budget_minor != null) requireMinor(problems, 'budget_minor', p.budget_minor);
        requireCurrency(problems, 'currency', p.currency ?? 'USD');
        if (problems.length) throw invalid(problems, p.campaign_id);
        if (await repo.campaign(p.campaign_id)) {
          throw new CommandRejected(
            'duplicate',
            `campaign ${p.campaign_id} already exists`,
            [{ path: 'campaign_id', message: 'already taken' }],
            p.campaign_id,
          );
        }
        const c: Campaign = {
          campaignId: p.campaign_id,
          userId: p.user_id.trim(),
          name: p.name.trim(),
          description: p.description ?? null,
          budgetMinor: p.budget_minor ?? null,
          currency: p.currency ?? 'USD',
          createdAt: now,
        };
        await repo.insertCampaign(c);
        return {
          emit: [
            {
              type: 'campaign.created.v1',
              payload: {
                campaign_id: c.campaignId,
                user_id: c.userId,
                name: c.name,
                description: c.description,
                budget_minor: c.budgetMinor,
                currency: c.currency,
              },
            },
          ],
          result: c,
        };
      },

      'campaign.add_video.command.v1': async (p: AddVideoPayload, { repo, now }) => {
        const problems: FieldProblem[] = [];
        requireText(problems, 'campaign_id', p.campaign_id, 100);
        requireText(problems, 'video_id', p.video_id, 100);
        requireHttpUrl(problems, 'url', p.url);
        requireText(problems, 'title', p.title);
        if (problems.length) throw invalid(problems, p.campaign_id);
        // Locked: two add_video for one campaign on two instances see each other's video, and
        // the UNIQUE (campaign_id, url) constraint stays the last word.
        const campaign = await repo.lockCampaign(p.campaign_id);
        if (!campaign) {
          throw new CommandRejected(
            'not_found',
            `campaign ${p.campaign_id} does not exist`,
            [{ path: 'campaign_id', message: 'no such campaign' }],
            p.campaign_id,
          );
        }
        if (await repo.video(p.video_id)) {
          throw new CommandRejected('duplicate', `video ${p.video_id} already exists`, [{ path: 'video_id', message: 'already taken' }], p.campaign_id);
        }
        const sameUrl = await repo.videoByUrl(p.campaign_id, p.url);
        if (sameUrl) {
          throw new CommandRejected(
            'duplicate',
            `campaign ${p.campaign_id} already has a video at ${p.url} (${sameUrl.videoId})`,
            [{ path: 'url', message: 'already in this campaign' }],
            p.campaign_id,
          );
        }
        const v: Video = { videoId: p.video_id, campaignId: p.campaign_id, url: p.url, title: p.title.trim(), addedAt: now };
        await repo.insertVideo(v);
        return {
          emit: [{ type: 'video.added.v1', payload: { campaign_id: v.campaignId, video_id: v.videoId, url: v.url, title: v.title, user_id: campaign.userId } }],
          result: v,
        };
      },
    },
    routes: [
      { method: 'POST', path: '/campaigns', command: 'campaign.create.command.v1', summary: 'create a campaign' },
      {
        method: 'POST',
        path: '/campaigns/:campaign_id/videos',
        command: 'campaign.add_video.command.v1',
        fromParams: { campaign_id: 'campaign_id' },
        summary: 'add a video to a campaign',
      },
      {
        method: 'GET',
        path: '/campaigns',
        summary: 'list campaigns (newest first, ?limit=)',
        query: async (repo, _p, url) => ({ status: 200, body: { campaigns: await repo.campaigns(limitOf(url)) } }),
      },
      {
        method: 'GET',
        path: '/campaigns/:campaign_id',
        summary: 'one campaign with its videos',
        query: async (repo, params) => {
          const c = await repo.campaign(params.campaign_id!);
          if (!c) return { status: 404, body: { error: 'not_found', message: `campaign ${params.campaign_id} does not exist` } };
          return { status: 200, body: { ...c, videos: await repo.videos(c.campaignId) } };
        },
      },
    ],
    stats: (repo) => repo.counts(),
  };
}

export function limitOf(url: URL, def = 100): number {
  const n = Number(url.searchParams.get('limit') ?? def);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : def;
}
