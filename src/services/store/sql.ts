import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * The little SQL surface the services' repositories are written against, so one repository
 * serves both stores. Statements use `?` placeholders and the SQL both dialects share; the
 * PostgreSQL side numbers the placeholders and keeps each statement prepared per connection.
 */
export type SqlValue = string | number | bigint | null | Buffer | Uint8Array;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Appended to a SELECT that reads a row the transaction goes on to decide on (an aggregate):
   * ` FOR UPDATE` on PostgreSQL, so instances sharing the database take turns on that row;
   * nothing on SQLite, whose write transactions already run one at a time.
   */
  readonly forUpdate: string;
  get<T>(sql: string, ...params: SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, ...params: SqlValue[]): Promise<T[]>;
  /** Run a statement; returns how many rows it changed. */
  run(sql: string, ...params: SqlValue[]): Promise<number>;
}

/** An SQLite connection as `Sql`; statements are prepared once per text and reused. */
export function sqliteSql(db: DatabaseSync): Sql {
  const cache = new Map<string, StatementSync>();
  const stmt = (text: string): StatementSync => {
    let s = cache.get(text);
    if (!s) {
      s = db.prepare(text);
      cache.set(text, s);
    }
    return s;
  };
  return {
    dialect: 'sqlite',
    forUpdate: '',
    async get<T>(text: string, ...params: SqlValue[]) {
      return stmt(text).get(...params) as T | undefined;
    },
    async all<T>(text: string, ...params: SqlValue[]) {
      return stmt(text).all(...params) as T[];
    },
    async run(text: string, ...params: SqlValue[]) {
      return Number(stmt(text).run(...params).changes);
    },
  };
}

/** What `pgSql` needs of a connection (a pooled client inside a transaction, or the pool). */
export interface PgQueryable {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

const numbered = new Map<string, { text: string; name: string }>();

/** `?` → `$1, $2, …` (the services' SQL has no `?` inside literals), named so it is prepared once per connection. */
export function pgText(text: string): { text: string; name: string } {
  let n = numbered.get(text);
  if (!n) {
    let i = 0;
    n = { text: text.replace(/\?/g, () => `$${++i}`), name: `miso_${numbered.size}` };
    numbered.set(text, n);
  }
  return n;
}

export function pgSql(conn: PgQueryable): Sql {
  const query = (text: string, params: SqlValue[]) => conn.query({ ...pgText(text), values: params });
  return {
    dialect: 'postgres',
    forUpdate: ' FOR UPDATE',
    async get<T>(text: string, ...params: SqlValue[]) {
      return (await query(text, params)).rows[0] as T | undefined;
    },
    async all<T>(text: string, ...params: SqlValue[]) {
      return (await query(text, params)).rows as T[];
    },
    async run(text: string, ...params: SqlValue[]) {
      return (await query(text, params)).rowCount ?? 0;
    },
  };
}
