import type { DatabaseSync } from 'node:sqlite';
import { ConfigError } from '../../errors.js';

/**
 * Versioned schema migrations. Each migration runs once, in its own transaction, and is
 * recorded in `schema_migrations`; opening a database written by a newer miso is refused
 * instead of guessed at. One list serves both stores: `sql` is written for SQLite and
 * translated for PostgreSQL (`postgresSql`), or a migration carries its own `postgres` text
 * where the dialects part ways.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** The PostgreSQL text, when the translation of `sql` will not do. */
  postgres?: string;
}

/**
 * SQLite → PostgreSQL for the DDL the services use: SQLite's INTEGER is 64-bit (timestamps in
 * ms and minor units need it), PostgreSQL's is not; BLOB is BYTEA; AUTOINCREMENT is an identity.
 */
export function postgresSql(m: Migration): string {
  if (m.postgres !== undefined) return m.postgres;
  return m.sql
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/gi, 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/gi, 'BIGINT')
    .replace(/\bBLOB\b/gi, 'BYTEA');
}

/** Tables every service has: the processed-message log, the outbox, and store metadata. */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'processed messages, outbox, meta',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE processed_messages (
        message_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'ignored')),
        processed_at INTEGER NOT NULL
      );
      -- AUTOINCREMENT: ids are sequence ids for broker deduplication and must never be reused,
      -- even after every row has been published and deleted.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        type TEXT NOT NULL,
        msg_key TEXT,
        properties TEXT NOT NULL,
        payload BLOB NOT NULL,
        event_time INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
    // Several instances share a PostgreSQL database: the outbox is cut into slices by message
    // key, each published by the holder of its lease, which numbers rows (seq) as it reads them.
    postgres: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE processed_messages (
        message_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'ignored')),
        processed_at BIGINT NOT NULL
      );
      CREATE INDEX processed_messages_by_time ON processed_messages (processed_at);
      CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slice INTEGER NOT NULL,
        seq BIGINT,
        topic TEXT NOT NULL,
        type TEXT NOT NULL,
        msg_key TEXT,
        properties TEXT NOT NULL,
        payload BYTEA NOT NULL,
        event_time BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX outbox_to_number ON outbox (slice, id) WHERE seq IS NULL;
      CREATE UNIQUE INDEX outbox_numbered ON outbox (slice, seq) WHERE seq IS NOT NULL;
      CREATE TABLE outbox_leases (
        slice INTEGER PRIMARY KEY,
        holder TEXT,
        epoch BIGINT NOT NULL DEFAULT 0,
        expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
        next_seq BIGINT NOT NULL DEFAULT 1
      );
      CREATE TABLE instances (instance_id TEXT PRIMARY KEY, seen_at TIMESTAMPTZ NOT NULL);
    `,
  },
];

export function currentVersion(db: DatabaseSync): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}

/** Apply the migrations the database lacks; returns the versions applied. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], location: string): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`duplicate migration version ${sorted[i]!.version}`);
  }
  const known = sorted.at(-1)?.version ?? 0;
  const have = currentVersion(db);
  if (have > known) {
    throw new ConfigError(`database ${location} has schema version ${have}, newer than this miso knows (${known})`, {
      hint: 'Upgrade miso, or point --db at another file.',
    });
  }
  const applied: number[] = [];
  for (const m of sorted) {
    if (m.version <= have) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new ConfigError(`migration ${m.version} (${m.name}) failed on ${location}: ${(err as Error).message}`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}
