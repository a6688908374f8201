import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MisoError } from '../../errors.js';

/**
 * The payout provider the payment service pays through. Like a real one (a bank, Stripe) it
 * takes an idempotency key: asking twice with the same key returns the first payout instead of
 * paying again. That is what makes "paid once" hold when the payment service crashes between
 * the provider's answer and its own commit, or when the provider's answer is lost.
 */
export interface PayoutRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  payee: string;
}

export interface Payout {
  reference: string;
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  payee: string;
  paidAt: number;
  /** False when the key was seen before and the earlier payout is returned. */
  created: boolean;
}

export interface PayoutProvider {
  payout(req: PayoutRequest): Promise<Payout>;
}

/** The provider did not answer or answered "try again": the payment must be retried, not refused. */
export class PayoutUnavailableError extends MisoError {
  constructor(message: string) {
    super(message, { retriable: true, hint: 'The payment is retried automatically (negative acknowledgement).' });
  }
}

/** The provider refuses the payout for good (over its limit): reported as a failed payment, never retried. */
export class PayoutRefusedError extends MisoError {}

export interface SimulatedProviderOptions {
  /** Ledger file (the provider's own books, apart from the payment service's database), or ':memory:'. */
  file: string;
  /** Probability (0..1) that a call fails transiently. */
  failureRate?: number;
  /** The next N calls fail transiently, whatever the rate. */
  failNext?: number;
  /** Payouts above this many minor units are refused for good (default 1,000,000.00). */
  maxPayoutCents?: number;
  /** Random source, replaceable for deterministic tests. */
  random?: () => number;
}

/**
 * A payout provider simulated on this machine, with its own books. Failures come in two kinds,
 * alternating: "unavailable" (nothing happened) and "answer lost" (the payout was made but the
 * caller never hears of it) — the second is the one idempotency keys exist for. Subclasses keep
 * the books: an SQLite file (`SimulatedPayoutProvider`) or PostgreSQL shared by every payment
 * instance, as a real provider's would be (`provider-postgres.ts`).
 */
export abstract class SimulatedProviderBase implements PayoutProvider {
  private failureRate: number;
  private failNext: number;
  private readonly random: () => number;
  private readonly maxPayoutCents: number;
  private failures = 0;
  /** Calls made, including failed and repeated ones (the ledger counts payouts). */
  calls = 0;

  constructor(opts: Omit<SimulatedProviderOptions, 'file'>) {
    this.failureRate = opts.failureRate ?? 0;
    this.failNext = opts.failNext ?? 0;
    this.random = opts.random ?? Math.random;
    this.maxPayoutCents = opts.maxPayoutCents ?? 100_000_000;
  }

  /** The payout under this key: the one recorded before, else a new one recorded now. */
  protected abstract record(req: PayoutRequest): Promise<Payout>;

  /** Make the next `n` calls fail (tests and demos). */
  injectFailures(n: number): void {
    this.failNext += n;
  }

  setFailureRate(rate: number): void {
    this.failureRate = rate;
  }

  async payout(req: PayoutRequest): Promise<Payout> {
    this.calls++;
    const fail = this.failNext > 0 || (this.failureRate > 0 && this.random() < this.failureRate);
    if (fail && this.failNext > 0) this.failNext--;
    const kind = fail ? (this.failures++ % 2 === 0 ? 'unavailable' : 'answer-lost') : undefined;
    if (kind === 'unavailable') throw new PayoutUnavailableError('payout provider unavailable (simulated)');
    if (req.amountCents > this.maxPayoutCents)
      throw new PayoutRefusedError(`payout of ${req.amountCents} exceeds the provider limit of ${this.maxPayoutCents}`);
    const payout = await this.record(req);
    if (kind === 'answer-lost') throw new PayoutUnavailableError('payout provider timed out after accepting the payout (simulated)');
    return payout;
  }
}

export function newReference(): string {
  return `po_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

/** The simulated provider with its books in an SQLite file. */
export class SimulatedPayoutProvider extends SimulatedProviderBase {
  private readonly db: DatabaseSync;
  private readonly find: StatementSync;
  private readonly insert: StatementSync;
  private readonly countStmt: StatementSync;

  constructor(opts: SimulatedProviderOptions) {
    super(opts);
    if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
    this.db = new DatabaseSync(opts.file);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS payouts (
        idempotency_key TEXT PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        amount_cents INTEGER NOT NULL,
        currency TEXT NOT NULL,
        payee TEXT NOT NULL,
        paid_at INTEGER NOT NULL
      )`);
    this.find = this.db.prepare('SELECT * FROM payouts WHERE idempotency_key = ?');
    this.insert = this.db.prepare('INSERT INTO payouts (idempotency_key, reference, amount_cents, currency, payee, paid_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.countStmt = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS total FROM payouts');
  }

  protected async record(req: PayoutRequest): Promise<Payout> {
    const existing = this.find.get(req.idempotencyKey) as Row | undefined;
    if (existing) return { ...fromRow(existing), created: false };
    const reference = newReference();
    const paidAt = Date.now();
    this.insert.run(req.idempotencyKey, reference, req.amountCents, req.currency, req.payee, paidAt);
    return { reference, idempotencyKey: req.idempotencyKey, amountCents: req.amountCents, currency: req.currency, payee: req.payee, paidAt, created: true };
  }

  /** The provider's books: how many payouts, how much in total, and one by key. */
  ledger(): { count: number; totalCents: number } {
    const r = this.countStmt.get() as { n: number; total: number };
    return { count: r.n, totalCents: r.total };
  }

  lookup(idempotencyKey: string): Payout | undefined {
    const r = this.find.get(idempotencyKey) as Row | undefined;
    return r && { ...fromRow(r), created: false };
  }

  close(): void {
    this.db.close();
  }
}

export interface Row {
  idempotency_key: string;
  reference: string;
  amount_cents: number;
  currency: string;
  payee: string;
  paid_at: number;
}

export function fromRow(r: Row): Omit<Payout, 'created'> {
  return { reference: r.reference, idempotencyKey: r.idempotency_key, amountCents: r.amount_cents, currency: r.currency, payee: r.payee, paidAt: r.paid_at };
}
