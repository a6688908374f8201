import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ConfigError, UnreachableError } from '../../errors.js';
import { CORE_MIGRATIONS, postgresSql, type Migration } from './migrations.js';
import { pgSql, type Sql } from './sql.js';
import { LeaseLostError, type OutboxEntry, type OutboxLease, type OutboxRow, type ProcessedRecord, type ServiceStore, type StoreTx } from './store.js';

/**
 * The shared store: several instances of a service on one PostgreSQL database.
 *
 * Layout: one schema per service (default: the service's name) in the database the URL names,
 * so one server and one `MISO_DATABASE_URL` serve the four services while each keeps its own
 * tables, migrations and outbox; `<SERVICE>_DATABASE_URL` may still give a service a database
 * (or a server) of its own. Every connection of the pool has `search_path` set to the schema.
 *
 * Correctness with several instances comes from the database: the processed log is claimed
 * first in each transaction (a unique key: a second instance waits on the first's row, then
 * sees it); aggregates are read `FOR UPDATE`; constraints are the last word; the outbox is
 * published slice by slice under leases (`outbox-relay.ts`).
 */
export interface PostgresStoreOptions<R> {
  url: string;
  /** Schema of this service's tables (letters, digits, _). */
  schema: string;
  /** The service's own migrations (versions after the core ones). */
  migrations: readonly Migration[];
  repo: (sql: Sql) => R;
  poolSize?: number;
  /** Slices of the outbox, fixed when the schema is created (later opens keep the stored number). */
  outboxSlices?: number;
  connectTimeoutMs?: number;
}

const DEFAULT_SLICES = 4;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresStore<R> implements ServiceStore<R> {
  readonly kind = 'postgres';

  private constructor(
    readonly pool: pg.Pool,
    private readonly opts: PostgresStoreOptions<R>,
    readonly storeId: string,
    readonly outboxSlices: number,
    readonly location: string,
  ) {}

  /** Connect, create the schema if needed and bring it to this miso's version. */
  static async open<R>(opts: PostgresStoreOptions<R>): Promise<PostgresStore<R>> {
    if (!SCHEMA_NAME.test(opts.schema))
      throw new ConfigError(`"${opts.schema}" is not a usable schema name`, { hint: 'Use lower-case letters, digits and _.' });
    const location = `${redactUrl(opts.url)} (schema ${opts.schema})`;
    const types = new pg.TypeOverrides();
    // Counts and sums come back as numbers (they stay far below 2^53); outbox ids are read as text.
    types.setTypeParser(20, (v: string) => Number(v));
    types.setTypeParser(1700, (v: string) => Number(v));
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 8,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      // A paused instance (SIGSTOP) must not hold locks its successors wait on: the server ends
      // its open transaction after a few idle seconds, and no lock is waited on for long.
      options: `-c search_path=${opts.schema} -c idle_in_transaction_session_timeout=5000 -c lock_timeout=4000`,
      types,
    });
    // An idle connection dropped by the server (restart, network) must not crash the process.
    pool.on('error', () => {});
    // A connection the server ends while checked out reports it on the client too; the query
    // in progress fails with it, which is what the callers handle.
    pool.on('connect', (c) => c.on('error', () => {}));
    try {
      const { storeId, slices } = await migratePostgres(pool, opts, location);
      return new PostgresStore(pool, opts, storeId, slices, location);
    } catch (err) {
      await pool.end().catch(() => {});
      throw databaseError(err, opts.url);
    }
  }

  async transaction<T>(fn: (tx: StoreTx<R>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw databaseError(err, this.opts.url);
    });
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(this.txView(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw databaseError(err, this.opts.url);
    } finally {
      client.release(broken);
    }
  }

  async read<T>(fn: (repo: R) => Promise<T>): Promise<T> {
    try {
      return await fn(this.opts.repo(pgSql(this.pool)));
    } catch (err) {
      throw databaseError(err, this.opts.url);
    }
  }

  private txView(client: pg.PoolClient): StoreTx<R> {
    const sql = pgSql(client);
    return {
      repo: this.opts.repo(sql),
      processed: async (messageId) => {
        const r = await sql.get<{ message_id: string; type: string; outcome: ProcessedRecord['outcome']; processed_at: number }>(
          'SELECT message_id, type, outcome, processed_at FROM processed_messages WHERE message_id = ?',
          messageId,
        );
        return r && { messageId: r.message_id, type: r.type, outcome: r.outcome, processedAt: r.processed_at };
      },
      claim: async (rec) =>
        (await sql.run(
          'INSERT INTO processed_messages (message_id, type, outcome, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING',
          rec.messageId,
          rec.type,
          rec.outcome,
          rec.processedAt,
        )) === 1,
      markProcessed: async (rec) => {
        await sql.run(
          'INSERT INTO processed_messages (message_id, type, outcome, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET type = excluded.type, outcome = excluded.outcome, processed_at = excluded.processed_at',
          rec.messageId,
          rec.type,
          rec.outcome,
          rec.processedAt,
        );
      },
      enqueue: async (e: OutboxEntry) => {
        const r = await sql.get<{ id: string }>(
          'INSERT INTO outbox (slice, topic, type, msg_key, properties, payload, event_time, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id::text AS id',
          sliceOf(e.key, this.outboxSlices),
          e.topic,
          e.type,
          e.key ?? null,
          JSON.stringify(e.properties),
          e.payload,
          e.eventTime,
          Date.now(),
        );
        return BigInt(r!.id);
      },
    };
  }

  async leaseOutbox(slice: number, holder: string, ttlMs: number): Promise<OutboxLease | undefined> {
    // One statement: renew my running lease, or take a free or expired one with a new epoch.
    const r = await this.query<{ epoch: string }>(
      `UPDATE outbox_leases SET
         epoch = CASE WHEN holder = $2 AND expires_at > clock_timestamp() THEN epoch ELSE epoch + 1 END,
         holder = $2,
         expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE slice = $1 AND (holder IS NULL OR holder = $2 OR expires_at <= clock_timestamp())
       RETURNING epoch::text AS epoch`,
      [slice, holder, ttlMs],
    );
    const row = r.rows[0];
    return row && { slice, holder, epoch: BigInt(row.epoch) };
  }

  async releaseOutbox(lease: OutboxLease): Promise<void> {
    await this.query("UPDATE outbox_leases SET holder = NULL, expires_at = '-infinity' WHERE slice = $1 AND holder = $2 AND epoch = $3", [
      lease.slice,
      lease.holder,
      String(lease.epoch),
    ]);
  }

  /** Number the slice's new rows under the lease, then read the numbered ones after `afterSeq`. */
  async pendingOutbox(limit: number, afterSeq = 0n, lease?: OutboxLease): Promise<OutboxRow[]> {
    // Ids and sequence ids leave as text (they are bigints); ORDER BY names the table's columns,
    // since a bare name would sort by the text alias ('10' before '4').
    const cols = 'id::text AS id, seq::text AS seq, topic, type, msg_key, properties, payload, event_time, created_at';
    if (!lease) return toRows((await this.query(`SELECT ${cols} FROM outbox ORDER BY outbox.id LIMIT $1`, [limit])).rows);
    const client = await this.pool.connect().catch((err: unknown) => {
      throw databaseError(err, this.opts.url);
    });
    let broken = false;
    try {
      await client.query('BEGIN');
      const held = await client.query<{ next_seq: string }>(
        'SELECT next_seq::text AS next_seq FROM outbox_leases WHERE slice = $1 AND holder = $2 AND epoch = $3 AND expires_at > clock_timestamp() FOR UPDATE',
        [lease.slice, lease.holder, String(lease.epoch)],
      );
      if (!held.rows[0]) throw new LeaseLostError(lease.slice);
      const numbered = await client.query(
        `WITH pick AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM outbox WHERE slice = $1 AND seq IS NULL ORDER BY id LIMIT $2)
         UPDATE outbox o SET seq = $3::bigint + pick.n - 1 FROM pick WHERE o.id = pick.id`,
        [lease.slice, limit, held.rows[0].next_seq],
      );
      if (numbered.rowCount) await client.query('UPDATE outbox_leases SET next_seq = next_seq + $2 WHERE slice = $1', [lease.slice, numbered.rowCount]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err instanceof LeaseLostError ? err : databaseError(err, this.opts.url);
    } finally {
      client.release(broken);
    }
    return toRows(
      (await this.query(`SELECT ${cols} FROM outbox WHERE slice = $1 AND seq > $2 ORDER BY outbox.seq LIMIT $3`, [lease.slice, String(afterSeq), limit])).rows,
    );
  }

  async markPublished(ids: readonly bigint[], lease?: OutboxLease): Promise<void> {
    if (ids.length === 0) return;
    const list = ids.map(String);
    if (!lease) {
      await this.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [list]);
      return;
    }
    // Fenced: only the current holder of the slice removes rows.
    const r = await this.query<{ held: number }>(
      `WITH held AS (SELECT 1 FROM outbox_leases WHERE slice = $2 AND holder = $3 AND epoch = $4),
            gone AS (DELETE FROM outbox WHERE id = ANY($1::bigint[]) AND EXISTS (SELECT 1 FROM held) RETURNING 1)
       SELECT (SELECT count(*) FROM held) AS held, (SELECT count(*) FROM gone) AS gone`,
      [list, lease.slice, lease.holder, String(lease.epoch)],
    );
    if (!r.rows[0]?.held) throw new LeaseLostError(lease.slice);
  }

  async outboxDepth(): Promise<number> {
    return (await this.query<{ n: number }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n;
  }

  async pruneProcessed(before: number): Promise<number> {
    return (await this.query('DELETE FROM processed_messages WHERE processed_at < $1', [before])).rowCount ?? 0;
  }

  /** Note this instance as alive; returns the instances seen within `withinMs` (itself included), sorted. */
  async heartbeat(instanceId: string, withinMs: number): Promise<string[]> {
    await this.query(
      'INSERT INTO instances (instance_id, seen_at) VALUES ($1, clock_timestamp()) ON CONFLICT (instance_id) DO UPDATE SET seen_at = excluded.seen_at',
      [instanceId],
    );
    const r = await this.query<{ instance_id: string }>(
      "SELECT instance_id FROM instances WHERE seen_at > clock_timestamp() - $1 * interval '1 millisecond' ORDER BY instance_id",
      [withinMs],
    );
    await this.query("DELETE FROM instances WHERE seen_at < clock_timestamp() - interval '1 hour'");
    const ids = r.rows.map((x) => x.instance_id);
    return ids.includes(instanceId) ? ids : [...ids, instanceId].sort();
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  private async query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<T>> {
    try {
      return await this.pool.query<T>(text, values);
    } catch (err) {
      throw databaseError(err, this.opts.url);
    }
  }
}

async function migratePostgres<R>(pool: pg.Pool, opts: PostgresStoreOptions<R>, location: string): Promise<{ storeId: string; slices: number }> {
  const client = await pool.connect();
  try {
    // Instances starting together: one migrates, the others wait and find it done.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`miso-migrate:${opts.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const sorted = [...CORE_MIGRATIONS, ...opts.migrations].sort((a, b) => a.version - b.version);
    const known = sorted.at(-1)?.version ?? 0;
    const have = Number((await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    if (have > known) {
      throw new ConfigError(`database ${location} has schema version ${have}, newer than this miso knows (${known})`, {
        hint: 'Upgrade miso, or point --database-url (or the schema) at another database.',
      });
    }
    for (const m of sorted) {
      if (m.version <= have) continue;
      await client.query('BEGIN');
      try {
        await client.query(postgresSql(m));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new ConfigError(`migration ${m.version} (${m.name}) failed on ${location}: ${(err as Error).message}`, { cause: err });
      }
    }
    await client.query("INSERT INTO meta (key, value) VALUES ('store_id', $1), ('outbox_slices', $2) ON CONFLICT (key) DO NOTHING", [
      randomBytes(4).toString('hex'),
      String(opts.outboxSlices ?? DEFAULT_SLICES),
    ]);
    const meta = Object.fromEntries((await client.query<{ key: string; value: string }>('SELECT key, value FROM meta')).rows.map((r) => [r.key, r.value]));
    const slices = Number(meta.outbox_slices);
    await client.query('INSERT INTO outbox_leases (slice) SELECT generate_series(0, $1::int - 1) ON CONFLICT (slice) DO NOTHING', [slices]);
    return { storeId: meta.store_id!, slices };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`miso-migrate:${opts.schema}`]).catch(() => {});
    client.release();
  }
}

/** The slice of a message key (FNV-1a): one key, one slice, so a key's events keep their order. */
export function sliceOf(key: string | undefined, slices: number): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(key ?? '', 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % slices;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Driver errors → one line the user can act on; anything already typed passes through. */
export function databaseError(err: unknown, url: string): unknown {
  if (!(err instanceof Error) || err instanceof ConfigError || err instanceof UnreachableError || err instanceof LeaseLostError) return err;
  const e = err as Error & { code?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
    case '57P01': // admin shutdown
    case '57P02': // crash shutdown
    case '57P03': // cannot connect now (starting up)
    case '08000':
    case '08001':
    case '08003':
    case '08006': // connection failures
      return new UnreachableError(`PostgreSQL at ${where} is not reachable (${e.code})`, {
        hint: 'Start it (`miso db up` runs one on this machine) or fix --database-url.',
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(`PostgreSQL host of ${where} is unknown (${e.code})`, {
        hint: 'Fix the host in --database-url (or <SERVICE>_DATABASE_URL, MISO_DATABASE_URL).',
        cause: err,
      });
    case '28P01':
    case '28000':
      return new ConfigError(`PostgreSQL at ${where} refused the login: ${e.message}`, { hint: 'Fix the user or password in the database URL.', cause: err });
    case '3D000':
      return new ConfigError(`PostgreSQL at ${where}: ${e.message}`, {
        hint: 'Create the database (createdb), or name an existing one in the URL.',
        cause: err,
      });
  }
  if (/timeout|terminated|Connection terminated/i.test(e.message) && !e.code) {
    return new UnreachableError(`PostgreSQL at ${where} is not reachable: ${e.message}`, {
      hint: 'Start it (`miso db up`) or fix --database-url.',
      cause: err,
    });
  }
  return err;
}

type PendingRow = {
  id: string;
  seq: string | null;
  topic: string;
  type: string;
  msg_key: string | null;
  properties: string;
  payload: Buffer;
  event_time: number;
  created_at: number;
};

function toRows(rows: unknown[]): OutboxRow[] {
  return (rows as PendingRow[]).map((r) => ({
    id: BigInt(r.id),
    seq: r.seq === null ? -1n : BigInt(r.seq),
    topic: r.topic,
    type: r.type,
    key: r.msg_key ?? undefined,
    properties: JSON.parse(r.properties) as Record<string, string>,
    payload: r.payload,
    eventTime: r.event_time,
    createdAt: r.created_at,
  }));
}
