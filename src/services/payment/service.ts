import type { Sql } from '../store/sql.js';
import { CommandRejected, invalid, type FieldProblem, type ServiceDefinition } from '../host/definition.js';
import { requireCurrency, requireMinor, requireText } from '../validation.js';
import { limitOf } from '../campaign/service.js';
import { PayoutRefusedError, type PayoutProvider } from './provider.js';

/**
 * The payment service: pays each commission out once.
 * - `payment.process.command.v1`: a positive amount, a payee, an idempotency key; a commission
 *   already paid (or a payment id already used) is rejected as a duplicate → the provider is
 *   asked to pay with the idempotency key → `payment.processed.v1` (status paid with the
 *   provider's reference, or failed when the provider refuses for good).
 * - A transient provider failure rolls the transaction back and the command is retried
 *   (negative acknowledgement); the idempotency key makes the retry return the first payout
 *   if the provider had in fact paid.
 */

export interface Payment {
  paymentId: string;
  commissionId: string;
  userId: string;
  amountMinor: number;
  currency: string;
  status: 'paid' | 'failed';
  providerReference: string | null;
  idempotencyKey: string;
  failureReason: string | null;
  processedAt: number;
}

export interface PaymentRepo {
  payment(id: string): Promise<Payment | undefined>;
  paymentForCommission(commissionId: string): Promise<Payment | undefined>;
  insertPayment(p: Payment): Promise<void>;
  payments(limit: number): Promise<Payment[]>;
  totals(): Promise<{ payments: number; paid: number; failed: number; paid_amount_minor: number }>;
}

export const paymentMigrations = [
  {
    version: 2,
    name: 'payments',
    sql: `
      CREATE TABLE payments (
        payment_id TEXT PRIMARY KEY,
        commission_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('paid', 'failed')),
        provider_reference TEXT,
        idempotency_key TEXT NOT NULL UNIQUE,
        failure_reason TEXT,
        processed_at INTEGER NOT NULL
      );
    `,
  },
];

/** The repository over either store's SQL (see `store/sql.ts`). */
export function paymentRepo(sql: Sql): PaymentRepo {
  type Row = {
    payment_id: string;
    commission_id: string;
    user_id: string;
    amount_minor: number;
    currency: string;
    status: 'paid' | 'failed';
    provider_reference: string | null;
    idempotency_key: string;
    failure_reason: string | null;
    processed_at: number;
  };
  const to = (r: Row): Payment => ({
    paymentId: r.payment_id,
    commissionId: r.commission_id,
    userId: r.user_id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    providerReference: r.provider_reference,
    idempotencyKey: r.idempotency_key,
    failureReason: r.failure_reason,
    processedAt: r.processed_at,
  });
  return {
    async payment(id) {
      const r = await sql.get<Row>('SELECT * FROM payments WHERE payment_id = ?', id);
      return r && to(r);
    },
    async paymentForCommission(id) {
      const r = await sql.get<Row>('SELECT * FROM payments WHERE commission_id = ?', id);
      return r && to(r);
    },
    async insertPayment(p) {
      await sql.run(
        'INSERT INTO payments (payment_id, commission_id, user_id, amount_minor, currency, status, provider_reference, idempotency_key, failure_reason, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        p.paymentId,
        p.commissionId,
        p.userId,
        p.amountMinor,
        p.currency,
        p.status,
        p.providerReference,
        p.idempotencyKey,
        p.failureReason,
        p.processedAt,
      );
    },
    async payments(limit) {
      return (await sql.all<Row>('SELECT * FROM payments ORDER BY processed_at DESC LIMIT ?', limit)).map(to);
    },
    async totals() {
      return (await sql.get<{ payments: number; paid: number; failed: number; paid_amount_minor: number }>(
        "SELECT COUNT(*) AS payments, COALESCE(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END), 0) AS paid, COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed, COALESCE(SUM(CASE WHEN status = 'paid' THEN amount_minor ELSE 0 END), 0) AS paid_amount_minor FROM payments",
      ))!;
    },
  };
}

interface ProcessPaymentPayload {
  payment_id: string;
  commission_id: string;
  user_id: string;
  amount_minor: number;
  currency?: string;
  idempotency_key: string;
}

/** What the payment service may ask of a simulated provider besides payouts (its books, failure injection). */
export interface ProviderControls {
  ledger?(): { count: number; totalCents: number } | Promise<{ count: number; totalCents: number }>;
  injectFailures?(n: number): void;
  setFailureRate?(rate: number): void;
  close?(): void | Promise<void>;
}

export function paymentService(opts: { provider: PayoutProvider & ProviderControls }): ServiceDefinition<PaymentRepo> {
  const provider = opts.provider;
  return {
    name: 'payment',
    migrations: paymentMigrations,
    repo: paymentRepo,
    commands: {
      'payment.process.command.v1': async (p: ProcessPaymentPayload, { repo, now }) => {
        const problems: FieldProblem[] = [];
        requireText(problems, 'payment_id', p.payment_id, 100);
        requireText(problems, 'commission_id', p.commission_id, 100);
        requireText(problems, 'user_id', p.user_id, 100);
        requireText(problems, 'idempotency_key', p.idempotency_key, 200);
        requireMinor(problems, 'amount_minor', p.amount_minor, { positive: true });
        requireCurrency(problems, 'currency', p.currency ?? 'USD');
        if (problems.length) throw invalid(problems, p.commission_id);

        const paid = await repo.paymentForCommission(p.commission_id);
        if (paid) {
          throw new CommandRejected(
            'duplicate',
            `commission ${p.commission_id} already has payment ${paid.paymentId} (${paid.status})`,
            [{ path: 'commission_id', message: 'already paid' }],
            p.commission_id,
          );
        }
        if (await repo.payment(p.payment_id)) {
          throw new CommandRejected('duplicate', `payment ${p.payment_id} already exists`, [{ path: 'payment_id', message: 'already taken' }], p.commission_id);
        }
        const base = {
          paymentId: p.payment_id,
          commissionId: p.commission_id,
          userId: p.user_id,
          amountMinor: p.amount_minor,
          currency: p.currency ?? 'USD',
          idempotencyKey: p.idempotency_key,
          processedAt: now,
        };
        let payment: Payment;
        try {
          // Transient provider errors escape from here: the transaction rolls back and the command is retried.
          const payout = await provider.payout({ idempotencyKey: p.idempotency_key, amountCents: p.amount_minor, currency: base.currency, payee: p.user_id });
          payment = { ...base, status: 'paid', providerReference: payout.reference, failureReason: null };
        } catch (err) {
          if (!(err instanceof PayoutRefusedError)) throw err;
          payment = { ...base, status: 'failed', providerReference: null, failureReason: err.message };
        }
        await repo.insertPayment(payment);
        return {
          emit: [
            {
              type: 'payment.processed.v1',
              payload: {
                payment_id: payment.paymentId,
                commission_id: payment.commissionId,
                user_id: payment.userId,
                amount_minor: payment.amountMinor,
                currency: payment.currency,
                status: payment.status,
                provider_reference: payment.providerReference,
                idempotency_key: payment.idempotencyKey,
                failure_reason: payment.failureReason,
              },
            },
          ],
          result: payment,
        };
      },
    },
    routes: [
      { method: 'POST', path: '/payments', command: 'payment.process.command.v1', summary: 'pay a commission out' },
      {
        method: 'GET',
        path: '/payments',
        summary: 'recent payments (?commission_id=, ?limit=)',
        query: async (repo, _p, url) => {
          const commissionId = url.searchParams.get('commission_id');
          if (commissionId) {
            const p = await repo.paymentForCommission(commissionId);
            return { status: 200, body: { payments: p ? [p] : [] } };
          }
          return { status: 200, body: { payments: await repo.payments(limitOf(url)) } };
        },
      },
      {
        method: 'GET',
        path: '/payments/:payment_id',
        summary: 'one payment',
        query: async (repo, params) => {
          const p = await repo.payment(params.payment_id!);
          return p ? { status: 200, body: p } : { status: 404, body: { error: 'not_found', message: `payment ${params.payment_id} does not exist` } };
        },
      },
      {
        method: 'GET',
        path: '/provider',
        summary: "the simulated payout provider's books",
        query: async () => ({ status: 200, body: provider.ledger ? await provider.ledger() : {} }),
      },
      {
        method: 'POST',
        path: '/provider/failures',
        summary: 'make the simulated provider fail: {"fail_next": 2} or {"failure_rate": 0.3}',
        query: async (_repo, _params, _url, body) => {
          const b = (body ?? {}) as { fail_next?: unknown; failure_rate?: unknown };
          const problems: { path: string; message: string }[] = [];
          if (b.fail_next !== undefined && (!Number.isInteger(b.fail_next) || (b.fail_next as number) < 0))
            problems.push({ path: 'fail_next', message: 'must be a whole number ≥ 0' });
          if (b.failure_rate !== undefined && (typeof b.failure_rate !== 'number' || b.failure_rate < 0 || b.failure_rate > 1))
            problems.push({ path: 'failure_rate', message: 'must be a number from 0 to 1' });
          if (b.fail_next === undefined && b.failure_rate === undefined) problems.push({ path: '', message: 'give fail_next or failure_rate' });
          if (problems.length) return { status: 400, body: { error: 'validation_failed', message: 'invalid failure settings', field_errors: problems } };
          if (b.fail_next !== undefined) provider.injectFailures?.(b.fail_next as number);
          if (b.failure_rate !== undefined) provider.setFailureRate?.(b.failure_rate as number);
          return { status: 200, body: { ok: true } };
        },
      },
    ],
    stats: (repo) => repo.totals(),
    close: async () => provider.close?.(),
  };
}
