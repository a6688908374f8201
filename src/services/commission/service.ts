import type { Sql } from '../store/sql.js';
import { randomUUID } from 'node:crypto';
import { CommandRejected, invalid, type Emit, type FieldProblem, type ServiceDefinition } from '../host/definition.js';
import { requireCurrency, requireText, requireTrackedEvent } from '../validation.js';
import { limitOf } from '../campaign/service.js';
import { calculateCommission, DEFAULT_PLAN, validatePlan, type CommissionPlan, type TrackingEventType } from './rules.js';

/**
 * The commission service: what each tracking event earns the campaign owner.
 * - `commission.calculate.command.v1`: one commission per tracking event; a conversion needs
 *   its sale amount; the campaign's plan (if one was set) else the defaults (`rules.ts`) →
 *   `commission.calculated.v1`, then `payment.process.command.v1` when the amount is above zero
 *   (nothing is paid out for a zero commission).
 * - Campaign plans are this service's own settings: `PUT /plans/:campaign_id` in http/hybrid
 *   mode, or a JSON file given at start (`miso run commission --plans plans.json`).
 */

export interface Commission {
  commissionId: string;
  trackingEventId: string;
  campaignId: string;
  userId: string;
  eventType: TrackingEventType;
  saleAmountMinor: number | null;
  amountMinor: number;
  currency: string;
  rule: string;
  rateBps: number | null;
  paymentId: string | null;
  calculatedAt: number;
}

export interface CommissionRepo {
  commission(id: string): Promise<Commission | undefined>;
  commissionForTrackingEvent(trackingEventId: string): Promise<Commission | undefined>;
  insertCommission(c: Commission): Promise<void>;
  commissions(campaignId: string | undefined, limit: number): Promise<Commission[]>;
  plan(campaignId: string): Promise<CommissionPlan | undefined>;
  setPlan(campaignId: string, plan: CommissionPlan, at: number): Promise<void>;
  totals(): Promise<{ commissions: number; commission_amount_minor: number; plans: number }>;
}

export const commissionMigrations = [
  {
    version: 2,
    name: 'commissions and campaign plans',
    sql: `
      CREATE TABLE commissions (
        commission_id TEXT PRIMARY KEY,
        tracking_event_id TEXT NOT NULL UNIQUE,
        campaign_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        sale_amount_minor INTEGER,
        amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
        currency TEXT NOT NULL,
        rule TEXT NOT NULL,
        rate_bps INTEGER,
        payment_id TEXT,
        calculated_at INTEGER NOT NULL
      );
      CREATE INDEX commissions_by_campaign ON commissions (campaign_id, calculated_at);
      CREATE TABLE commission_plans (campaign_id TEXT PRIMARY KEY, plan TEXT NOT NULL, updated_at INTEGER NOT NULL);
    `,
  },
];

/** The repository over either store's SQL (see `store/sql.ts`). */
export function commissionRepo(sql: Sql): CommissionRepo {
  type Row = {
    commission_id: string;
    tracking_event_id: string;
    campaign_id: string;
    user_id: string;
    event_type: TrackingEventType;
    sale_amount_minor: number | null;
    amount_minor: number;
    currency: string;
    rule: string;
    rate_bps: number | null;
    payment_id: string | null;
    calculated_at: number;
  };
  const to = (r: Row): Commission => ({
    commissionId: r.commission_id,
    trackingEventId: r.tracking_event_id,
    campaignId: r.campaign_id,
    userId: r.user_id,
    eventType: r.event_type,
    saleAmountMinor: r.sale_amount_minor,
    amountMinor: r.amount_minor,
    currency: r.currency,
    rule: r.rule,
    rateBps: r.rate_bps,
    paymentId: r.payment_id,
    calculatedAt: r.calculated_at,
  });
  return {
    async commission(id) {
      const r = await sql.get<Row>('SELECT * FROM commissions WHERE commission_id = ?', id);
      return r && to(r);
    },
    async commissionForTrackingEvent(id) {
      const r = await sql.get<Row>('SELECT * FROM commissions WHERE tracking_event_id = ?', id);
      return r && to(r);
    },
    async insertCommission(c) {
      await sql.run(
        'INSERT INTO commissions (commission_id, tracking_event_id, campaign_id, user_id, event_type, sale_amount_minor, amount_minor, currency, rule, rate_bps, payment_id, calculated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        c.commissionId,
        c.trackingEventId,
        c.campaignId,
        c.userId,
        c.eventType,
        c.saleAmountMinor,
        c.amountMinor,
        c.currency,
        c.rule,
        c.rateBps,
        c.paymentId,
        c.calculatedAt,
      );
    },
    async commissions(campaignId, limit) {
      const rows =
        campaignId === undefined
          ? await sql.all<Row>('SELECT * FROM commissions ORDER BY calculated_at DESC LIMIT ?', limit)
          : await sql.all<Row>('SELECT * FROM commissions WHERE campaign_id = ? ORDER BY calculated_at DESC LIMIT ?', campaignId, limit);
      return rows.map(to);
    },
    async plan(campaignId) {
      const r = await sql.get<{ plan: string }>('SELECT plan FROM commission_plans WHERE campaign_id = ?', campaignId);
      return r && (JSON.parse(r.plan) as CommissionPlan);
    },
    async setPlan(campaignId, plan, at) {
      await sql.run(
        'INSERT INTO commission_plans (campaign_id, plan, updated_at) VALUES (?, ?, ?) ON CONFLICT (campaign_id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at',
        campaignId,
        JSON.stringify(plan),
        at,
      );
    },
    async totals() {
      return (await sql.get<{ commissions: number; commission_amount_minor: number; plans: number }>(
        'SELECT (SELECT COUNT(*) FROM commissions) AS commissions, (SELECT COALESCE(SUM(amount_minor), 0) FROM commissions) AS commission_amount_minor, (SELECT COUNT(*) FROM commission_plans) AS plans',
      ))!;
    },
  };
}

interface CalculateCommissionPayload {
  commission_id: string;
  tracking_event_id: string;
  campaign_id: string;
  video_id: string;
  user_id: string;
  event_type: TrackingEventType;
  sale_amount_minor?: number | null;
  currency?: string;
}

export function commissionService(): ServiceDefinition<CommissionRepo> {
  return {
    name: 'commission',
    sendsTo: ['payment-commands'],
    migrations: commissionMigrations,
    repo: commissionRepo,
    commands: {
      'commission.calculate.command.v1': async (p: CalculateCommissionPayload, { repo, now }) => {
        const problems: FieldProblem[] = [];
        requireText(problems, 'commission_id', p.commission_id, 100);
        requireText(problems, 'tracking_event_id', p.tracking_event_id, 100);
        requireText(problems, 'campaign_id', p.campaign_id, 100);
        requireText(problems, 'user_id', p.user_id, 100);
        requireCurrency(problems, 'currency', p.currency ?? 'USD');
        requireTrackedEvent(problems, p);
        if (problems.length) throw invalid(problems, p.tracking_event_id);

        const existing = await repo.commissionForTrackingEvent(p.tracking_event_id);
        if (existing) {
          throw new CommandRejected(
            'duplicate',
            `tracking event ${p.tracking_event_id} already has commission ${existing.commissionId}`,
            [{ path: 'tracking_event_id', message: 'already has a commission' }],
            p.tracking_event_id,
          );
        }
        if (await repo.commission(p.commission_id)) {
          throw new CommandRejected(
            'duplicate',
            `commission ${p.commission_id} already exists`,
            [{ path: 'commission_id', message: 'already taken' }],
            p.tracking_event_id,
          );
        }
        const quote = calculateCommission(p.event_type, p.sale_amount_minor ?? undefined, await repo.plan(p.campaign_id));
        const c: Commission = {
          commissionId: p.commission_id,
          trackingEventId: p.tracking_event_id,
          campaignId: p.campaign_id,
          userId: p.user_id,
          eventType: p.event_type,
          saleAmountMinor: p.sale_amount_minor ?? null,
          amountMinor: quote.amountCents,
          currency: p.currency ?? 'USD',
          rule: quote.rule,
          rateBps: quote.rateBps ?? null,
          paymentId: quote.amountCents > 0 ? randomUUID() : null,
          calculatedAt: now,
        };
        await repo.insertCommission(c);
        const emit: Emit[] = [
          {
            type: 'commission.calculated.v1',
            payload: {
              commission_id: c.commissionId,
              tracking_event_id: c.trackingEventId,
              campaign_id: c.campaignId,
              user_id: c.userId,
              event_type: c.eventType,
              amount_minor: c.amountMinor,
              currency: c.currency,
              rule: c.rule,
              rate_bps: c.rateBps,
            },
          },
        ];
        if (c.paymentId) {
          emit.push({
            type: 'payment.process.command.v1',
            payload: {
              payment_id: c.paymentId,
              commission_id: c.commissionId,
              user_id: c.userId,
              amount_minor: c.amountMinor,
              currency: c.currency,
              // The commission id: one commission, one payout, whoever asks and however often.
              idempotency_key: c.commissionId,
            },
          });
        }
        return { emit, result: { ...c, explanation: quote.explanation } };
      },
    },
    routes: [
      { method: 'POST', path: '/commissions', command: 'commission.calculate.command.v1', summary: 'compute the commission for a tracking event' },
      {
        method: 'GET',
        path: '/commissions',
        summary: 'recent commissions (?campaign_id=, ?limit=)',
        query: async (repo, _p, url) => ({
          status: 200,
          body: { commissions: await repo.commissions(url.searchParams.get('campaign_id') ?? undefined, limitOf(url)) },
        }),
      },
      {
        method: 'GET',
        path: '/commissions/:commission_id',
        summary: 'one commission',
        query: async (repo, params) => {
          const c = await repo.commission(params.commission_id!);
          return c ? { status: 200, body: c } : { status: 404, body: { error: 'not_found', message: `commission ${params.commission_id} does not exist` } };
        },
      },
      {
        method: 'GET',
        path: '/plans/:campaign_id',
        summary: 'the commission plan of a campaign (its own rules over the defaults)',
        query: async (repo, params) => {
          const own = (await repo.plan(params.campaign_id!)) ?? {};
          return { status: 200, body: { campaign_id: params.campaign_id, own, effective: { ...DEFAULT_PLAN, ...own } } };
        },
      },
      {
        method: 'PUT',
        path: '/plans/:campaign_id',
        writes: true,
        summary: 'set the commission plan of a campaign, e.g. {"click":{"kind":"flat","amountCents":40}}',
        query: async (repo, params, _url, body) => {
          const problems = validatePlan(body);
          if (problems.length)
            return {
              status: 400,
              body: {
                error: 'validation_failed',
                message: 'invalid commission plan',
                field_errors: problems.map((p) => ({ path: p.path, message: p.problem })),
              },
            };
          await repo.setPlan(params.campaign_id!, body as CommissionPlan, Date.now());
          return { status: 200, body: { campaign_id: params.campaign_id, own: body } };
        },
      },
    ],
    stats: (repo) => repo.totals(),
  };
}
