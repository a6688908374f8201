import type { DatabaseSync } from 'node:sqlite';
import { ConfigError } from '../../errors.js';

/**
 * Versioned schema migrations. Each migration runs once, in its own transaction, and is
 * recorded in `schema_migrations`; opening a database written by a newer miso is refused
 * instead of guessed at.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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
