import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../errors.js';
import { isAlive } from '../../util/process.js';
import { CORE_MIGRATIONS, migrate, type Migration } from './migrations.js';
import type { OutboxEntry, OutboxLease, OutboxRow, ProcessedRecord, ServiceStore, StoreTx } from './store.js';

export interface SqliteStoreOptions<R> {
  /** Database file, or ':memory:' for tests. */
  file: string;
  /** The service's own migrations (versions after the core ones). */
  migrations: readonly Migration[];
  /** Build the service repository over this connection (statements prepared once). */
  repo: (db: DatabaseSync) => R;
}

/**
 * The embedded store: one SQLite file per service, WAL journal. `synchronous=NORMAL` in WAL
 * mode keeps every committed transaction across a process crash (kill -9); only a power loss
 * can take the last ones, which the broker's copy of the events makes visible.
 */
export class SqliteStore<R> implements ServiceStore<R> {
  readonly storeId: string;
  readonly location: string;
  readonly kind = 'sqlite';
  /** One instance per file (the pid lock): one slice, always leased to it. */
  readonly outboxSlices = 1;
  readonly db: DatabaseSync;
  private readonly repo: R;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lockFile: string | undefined;
  /**
   * A second, read-only connection for the outbox relay: in WAL mode it sees committed rows
   * only and never waits behind the handlers' transactions on the main connection.
   */
  private readonly reader: DatabaseSync | undefined;
  private readonly readerStmts: { pending: StatementSync; depth: StatementSync } | undefined;
  private closed = false;
  private readonly stmts: {
    processed: StatementSync;
    claim: StatementSync;
    markProcessed: StatementSync;
    enqueue: StatementSync;
    pending: StatementSync;
    publish: StatementSync;
    depth: StatementSync;
  };

  constructor(opts: SqliteStoreOptions<R>) {
    this.location = opts.file;
    if (opts.file !== ':memory:') {
      try {
        mkdirSync(dirname(opts.file), { recursive: true });
      } catch (err) {
        throw new ConfigError(`cannot create the directory for ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
          hint: 'Choose a writable place with --db.',
        });
      }
    }
    if (opts.file !== ':memory:') this.lockFile = lockDatabase(opts.file);
    try {
      this.db = openDatabase(opts.file);
    } catch (err) {
      if (this.lockFile) rmSync(this.lockFile, { force: true });
      throw err;
    }
    try {
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
      migrate(this.db, [...CORE_MIGRATIONS, ...opts.migrations], opts.file);

      const meta = this.db.prepare("SELECT value FROM meta WHERE key = 'store_id'").get() as { value: string } | undefined;
      if (meta) {
        this.storeId = meta.value;
      } else {
        this.storeId = randomBytes(4).toString('hex');
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('store_id', ?)").run(this.storeId);
      }

      this.stmts = {
        processed: this.db.prepare('SELECT message_id, type, outcome, processed_at FROM processed_messages WHERE message_id = ?'),
        claim: this.db.prepare(
          'INSERT INTO processed_messages (message_id, type, outcome, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING',
        ),
        markProcessed: this.db.prepare(
          'INSERT INTO processed_messages (message_id, type, outcome, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET type = excluded.type, outcome = excluded.outcome, processed_at = excluded.processed_at',
        ),
        enqueue: this.db.prepare('INSERT INTO outbox (topic, type, msg_key, properties, payload, event_time, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
        pending: this.db.prepare('SELECT id, topic, type, msg_key, properties, payload, event_time, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?'),
        publish: this.db.prepare('DELETE FROM outbox WHERE id = ?'),
        depth: this.db.prepare('SELECT COUNT(*) AS n FROM outbox'),
      };
      this.stmts.pending.setReadBigInts(true);
      this.repo = opts.repo(this.db);
      if (opts.file !== ':memory:') {
        this.reader = new DatabaseSync(opts.file, { readOnly: true });
        this.reader.exec('PRAGMA busy_timeout = 5000;');
        this.readerStmts = {
          pending: this.reader.prepare(
            'SELECT id, topic, type, msg_key, properties, payload, event_time, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
          ),
          depth: this.reader.prepare('SELECT COUNT(*) AS n FROM outbox'),
        };
        this.readerStmts.pending.setReadBigInts(true);
      }
    } catch (err) {
      this.reader?.close();
      this.db.close();
      if (this.lockFile) rmSync(this.lockFile, { force: true });
      throw err;
    }
  }

  /** Serialise: one transaction (or read) at a time on the single connection. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error(`store ${this.location} is closed`);
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(fn: (tx: StoreTx<R>) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.txView());
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  read<T>(fn: (repo: R) => Promise<T>): Promise<T> {
    return this.exclusive(() => fn(this.repo));
  }

  private txView(): StoreTx<R> {
    const s = this.stmts;
    return {
      repo: this.repo,
      processed: async (messageId: string) => {
        const r = s.processed.get(messageId) as { message_id: string; type: string; outcome: ProcessedRecord['outcome']; processed_at: number } | undefined;
        return r && { messageId: r.message_id, type: r.type, outcome: r.outcome, processedAt: r.processed_at };
      },
      claim: async (rec: ProcessedRecord) => Number(s.claim.run(rec.messageId, rec.type, rec.outcome, rec.processedAt).changes) === 1,
      markProcessed: async (rec: ProcessedRecord) => {
        s.markProcessed.run(rec.messageId, rec.type, rec.outcome, rec.processedAt);
      },
      enqueue: async (e: OutboxEntry) => {
        const r = s.enqueue.run(e.topic, e.type, e.key ?? null, JSON.stringify(e.properties), e.payload, e.eventTime, Date.now());
        return BigInt(r.lastInsertRowid);
      },
    };
  }

  async leaseOutbox(slice: number, holder: string): Promise<OutboxLease | undefined> {
    return { slice, holder, epoch: 1n };
  }

  async releaseOutbox(): Promise<void> {}

  async pendingOutbox(limit: number, afterId = 0n): Promise<OutboxRow[]> {
    if (this.readerStmts) {
      if (this.closed) throw new Error(`store ${this.location} is closed`);
      return toRows(this.readerStmts.pending.all(afterId, limit));
    }
    // In memory there is one connection: read between transactions, never inside one.
    return this.exclusive(async () => toRows(this.stmts.pending.all(afterId, limit)));
  }

  async markPublished(ids: readonly bigint[]): Promise<void> {
    if (ids.length === 0) return;
    await this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const id of ids) this.stmts.publish.run(id);
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async outboxDepth(): Promise<number> {
    if (this.closed) throw new Error(`store ${this.location} is closed`);
    // Committed rows on the reader; in memory, possibly a transaction's own rows too (a gauge).
    const r = (this.readerStmts ?? this.stmts).depth.get() as { n: number };
    return r.n;
  }

  async pruneProcessed(before: number): Promise<number> {
    return this.exclusive(async () => Number(this.db.prepare('DELETE FROM processed_messages WHERE processed_at < ?').run(before).changes));
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      this.closed = true;
      this.reader?.close();
      this.db.close();
    }).catch(() => undefined);
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

/**
 * One process per database: a second service on the same file would publish under the same
 * outbox producer name (refused by the broker) and interleave its transactions. The lock is a
 * file holding the owner's pid; a lock left by a process that is gone (kill -9) is taken over.
 */
function lockDatabase(file: string): string {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(`cannot lock database ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
          hint: 'Choose a writable place with --db.',
        });
      }
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new ConfigError(`database ${file} is in use by process ${owner} (another \`miso run\` of this service?)`, {
          hint: 'Stop that process, or give this instance its own database with --db (and its own --port).',
        });
      }
      rmSync(lock, { force: true });
    }
  }
  throw new ConfigError(`cannot lock database ${file}`, { hint: 'Another process keeps taking the lock; stop it, or use --db.' });
}

function openDatabase(file: string): DatabaseSync {
  try {
    return new DatabaseSync(file);
  } catch (err) {
    throw new ConfigError(`cannot open database ${file}: ${(err as Error).message}`, { hint: 'Choose a writable file with --db.' });
  }
}

type PendingRow = {
  id: bigint;
  topic: string;
  type: string;
  msg_key: string | null;
  properties: string;
  payload: Uint8Array;
  event_time: bigint;
  created_at: bigint;
};

function toRows(rows: unknown[]): OutboxRow[] {
  return (rows as PendingRow[]).map((r) => ({
    id: r.id,
    seq: r.id,
    topic: r.topic,
    type: r.type,
    key: r.msg_key ?? undefined,
    properties: JSON.parse(r.properties) as Record<string, string>,
    payload: Buffer.from(r.payload),
    eventTime: Number(r.event_time),
    createdAt: Number(r.created_at),
  }));
}
