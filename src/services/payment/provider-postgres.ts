import pg from 'pg';
import { databaseError, redactUrl } from '../store/postgres.js';
import { fromRow, newReference, SimulatedProviderBase, type Payout, type PayoutRequest, type Row, type SimulatedProviderOptions } from './provider.js';

/**
 * The simulated payout provider with its books in PostgreSQL (schema `payout_provider` by
 * default), shared by every payment instance the way a real provider's are: two instances
 * paying the same idempotency key at the same moment get one payout — the insert decides
 * (`ON CONFLICT DO NOTHING`, then the row that won is read back).
 */
export class PostgresPayoutProvider extends SimulatedProviderBase {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    opts: Omit<SimulatedProviderOptions, 'file'>,
  ) {
    super(opts);
  }

  static async open(opts: Omit<SimulatedProviderOptions, 'file'> & { url: string; schema?: string }): Promise<PostgresPayoutProvider> {
    const schema = opts.schema ?? 'payout_provider';
    const types = new pg.TypeOverrides();
    types.setTypeParser(20, (v: string) => Number(v));
    types.setTypeParser(1700, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: opts.url, max: 4, connectionTimeoutMillis: 5000, options: `-c search_path=${schema}`, types });
    pool.on('error', () => {});
    // A connection the server ends while checked out reports it on the client too; the query
    // in progress fails with it, which is what the callers handle.
    pool.on('connect', (c) => c.on('error', () => {}));
    try {
      await pool.query('SELECT pg_advisory_lock(hashtext($1))', [`miso-migrate:${schema}`]);
      try {
        await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await pool.query(`CREATE TABLE IF NOT EXISTS payouts (
          idempotency_key TEXT PRIMARY KEY,
          reference TEXT NOT NULL UNIQUE,
          amount_cents BIGINT NOT NULL,
          currency TEXT NOT NULL,
          payee TEXT NOT NULL,
          paid_at BIGINT NOT NULL
        )`);
      } finally {
        await pool.query('SELECT pg_advisory_unlock_all()');
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw databaseError(err, opts.url);
    }
    return new PostgresPayoutProvider(pool, opts.url, opts);
  }

  get location(): string {
    return redactUrl(this.url);
  }

  protected async record(req: PayoutRequest): Promise<Payout> {
    try {
      const inserted = await this.pool.query<Row>(
        'INSERT INTO payouts (idempotency_key, reference, amount_cents, currency, payee, paid_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *',
        [req.idempotencyKey, newReference(), req.amountCents, req.currency, req.payee, Date.now()],
      );
      if (inserted.rows[0]) return { ...fromRow(inserted.rows[0]), created: true };
      const existing = await this.pool.query<Row>('SELECT * FROM payouts WHERE idempotency_key = $1', [req.idempotencyKey]);
      return { ...fromRow(existing.rows[0]!), created: false };
    } catch (err) {
      throw databaseError(err, this.url);
    }
  }

  async ledger(): Promise<{ count: number; totalCents: number }> {
    const r = await this.pool.query<{ n: number; total: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS total FROM payouts');
    return { count: r.rows[0]!.n, totalCents: r.rows[0]!.total };
  }

  async lookup(idempotencyKey: string): Promise<Payout | undefined> {
    const r = await this.pool.query<Row>('SELECT * FROM payouts WHERE idempotency_key = $1', [idempotencyKey]);
    return r.rows[0] && { ...fromRow(r.rows[0]), created: false };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
