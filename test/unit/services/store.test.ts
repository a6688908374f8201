import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/services/store/sqlite.js';
import { PostgresStore } from '../../../src/services/store/postgres.js';
import { sqliteSql, type Sql } from '../../../src/services/store/sql.js';
import type { Migration } from '../../../src/services/store/migrations.js';
import type { ServiceStore } from '../../../src/services/store/store.js';
import { ConfigError } from '../../../src/errors.js';
import { sleep } from '../../../src/util/wait.js';
import { dropSchemas, randomSchema, TEST_DATABASE_URL } from '../../support/postgres.js';

const migrations: Migration[] = [
  { version: 2, name: 'things', sql: 'CREATE TABLE things (id TEXT PRIMARY KEY)' },
  { version: 3, name: 'thing sizes', sql: 'ALTER TABLE things ADD COLUMN size INTEGER' },
];
const thingsRepo = (sql: Sql) => ({
  add: async (id: string, size = 0) => void (await sql.run('INSERT INTO things (id, size) VALUES (?, ?)', id, size)),
  count: async () => (await sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM things'))!.n,
  versions: async () => (await sql.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version)),
});
type Things = ReturnType<typeof thingsRepo>;
const entry = (n: number) => ({
  topic: 'persistent://t/ns/x',
  type: 'x',
  key: `k${n}`,
  properties: { n: String(n) },
  payload: Buffer.from([n]),
  eventTime: 1000 + n,
});

/** A database for one test; `open` may be called again to reopen the same one. */
interface Db {
  open(m?: readonly Migration[]): Promise<ServiceStore<Things>>;
}

const dirs: string[] = [];
const schemas: string[] = [];
afterAll(async () => {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  await dropSchemas(schemas.splice(0));
});

const kinds: { kind: string; db: () => Db }[] = [
  {
    kind: 'sqlite',
    db: () => {
      const dir = mkdtempSync(join(tmpdir(), 'miso-store-'));
      dirs.push(dir);
      const file = join(dir, 'svc', 'a.db');
      return { open: async (m = migrations) => new SqliteStore({ file, migrations: m, repo: (db) => thingsRepo(sqliteSql(db)) }) };
    },
  },
  {
    kind: 'postgres',
    db: () => {
      const schema = randomSchema('store');
      schemas.push(schema);
      return { open: (m = migrations) => PostgresStore.open({ url: TEST_DATABASE_URL, schema, migrations: m, repo: thingsRepo }) };
    },
  },
];

describe.each(kinds)('service store contract: $kind', ({ db }) => {
  it('applies versioned migrations once and records them; the store id is stable', async () => {
    const d = db();
    const s1 = await d.open(migrations.slice(0, 1));
    const id = s1.storeId;
    await s1.close();
    const s2 = await d.open();
    expect(await s2.read((r) => r.versions())).toEqual([1, 2, 3]);
    expect(s2.storeId).toBe(id); // the outbox producer name depends on it
    await s2.transaction(async (tx) => tx.repo.add('a', 5));
    expect(await s2.read((r) => r.count())).toBe(1);
    await s2.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const d = db();
    await (await d.open()).close();
    const err = await d.open(migrations.slice(0, 1)).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/schema version 3, newer than this miso knows \(2\)/);
  });

  it('commits state, processed mark and outbox together, or none of them', async () => {
    const s = await db().open();
    await expect(
      s.transaction(async (tx) => {
        await tx.repo.add('x');
        await tx.enqueue(entry(1));
        await tx.markProcessed({ messageId: 'm1', type: 't', outcome: 'accepted', processedAt: 1 });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await s.read((r) => r.count())).toBe(0);
    expect(await s.outboxDepth()).toBe(0);
    expect(await s.transaction((tx) => tx.processed('m1'))).toBeUndefined();

    await s.transaction(async (tx) => {
      await tx.repo.add('x');
      await tx.enqueue(entry(1));
      await tx.markProcessed({ messageId: 'm1', type: 't', outcome: 'accepted', processedAt: 1 });
    });
    expect(await s.read((r) => r.count())).toBe(1);
    expect(await s.outboxDepth()).toBe(1);
    expect(await s.transaction((tx) => tx.processed('m1'))).toMatchObject({ outcome: 'accepted' });
    await s.close();
  });

  it('claims a message once; a rolled-back claim can be made again; the outcome can be corrected', async () => {
    const s = await db().open();
    const rec = { messageId: 'm', type: 't', outcome: 'accepted' as const, processedAt: 7 };
    await expect(
      s.transaction(async (tx) => {
        await tx.claim(rec);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await s.transaction((tx) => tx.claim(rec))).toBe(true);
    expect(await s.transaction((tx) => tx.claim(rec))).toBe(false);
    await s.transaction((tx) => tx.markProcessed({ ...rec, outcome: 'rejected' }));
    expect(await s.transaction((tx) => tx.processed('m'))).toEqual({ messageId: 'm', type: 't', outcome: 'rejected', processedAt: 7 });
    await s.close();
  });

  it('gives outbox rows increasing ids that are never reused, even after all are published', async () => {
    const d = db();
    const s = await d.open();
    const ids = await s.transaction(async (tx) => [await tx.enqueue(entry(1)), await tx.enqueue(entry(2))]);
    expect(ids[1]! > ids[0]!).toBe(true);
    const rows = await s.pendingOutbox(10);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows[0]).toMatchObject({ key: 'k1', properties: { n: '1' }, eventTime: 1001 });
    expect(rows[0]!.payload.equals(Buffer.from([1]))).toBe(true);
    await s.markPublished(ids);
    expect(await s.outboxDepth()).toBe(0);
    await s.close();
    const again = await d.open();
    const next = await again.transaction((tx) => tx.enqueue(entry(3)));
    expect(next > ids[1]!).toBe(true);
    await again.close();
  });

  it('publishes under a lease: rows come in sequence order, each slice to its holder', async () => {
    const s = await db().open();
    for (let i = 1; i <= 6; i++) await s.transaction((tx) => tx.enqueue(entry(i)));
    const seen: bigint[] = [];
    for (let slice = 0; slice < s.outboxSlices; slice++) {
      const lease = await s.leaseOutbox(slice, 'me', 5000);
      expect(lease).toBeDefined();
      const rows = await s.pendingOutbox(100, 0n, lease);
      const seqs = rows.map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(seqs).size).toBe(seqs.length);
      await s.markPublished(
        rows.map((r) => r.id),
        lease,
      );
      seen.push(...rows.map((r) => r.id));
    }
    expect(seen.length).toBe(6);
    expect(await s.outboxDepth()).toBe(0);
    await s.close();
  });

  it('forgets processed ids older than asked', async () => {
    const s = await db().open();
    await s.transaction(async (tx) => {
      await tx.markProcessed({ messageId: 'old', type: 't', outcome: 'accepted', processedAt: 1_000 });
      await tx.markProcessed({ messageId: 'new', type: 't', outcome: 'accepted', processedAt: 5_000 });
    });
    expect(await s.pruneProcessed(2_000)).toBe(1);
    expect(await s.transaction((tx) => tx.processed('old'))).toBeUndefined();
    expect(await s.transaction((tx) => tx.processed('new'))).toBeDefined();
    await s.close();
  });
});

describe('sqlite service store', () => {
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'miso-store-'));
    dirs.push(d);
    return d;
  };
  const repo = (db: import('node:sqlite').DatabaseSync) => thingsRepo(sqliteSql(db));
  it('runs transactions one at a time in call order', async () => {
    const s = new SqliteStore({ file: ':memory:', migrations, repo });
    const log: string[] = [];
    const slow = s.transaction(async (tx) => {
      log.push('a-start');
      await sleep(20); // a slow transaction, so the second has to queue behind it
      await tx.repo.add('a');
      log.push('a-end');
    });
    const fast = s.transaction(async (tx) => {
      log.push('b-start');
      await tx.repo.add('b');
      log.push('b-end');
    });
    await Promise.all([slow, fast]);
    expect(log).toEqual(['a-start', 'a-end', 'b-start', 'b-end']);
    await s.close();
  });

  it('says where it could not write', () => {
    const notADir = join(tmp(), 'plain-file');
    writeFileSync(notADir, 'x');
    let err: unknown;
    try {
      new SqliteStore({ file: join(notADir, 'sub', 'x.db'), migrations, repo });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('plain-file/sub/x.db');
    expect((err as ConfigError).hint).toContain('--db');
  });
});

describe('one process per database', () => {
  it('refuses a second store on a database in use, names the owner, and frees it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-lock-'));
    try {
      const file = join(dir, 'svc.db');
      const first = new SqliteStore({ file, migrations: [], repo: () => ({}) });
      expect(() => new SqliteStore({ file, migrations: [], repo: () => ({}) })).toThrow(new RegExp(`in use by process ${process.pid}`));
      await first.close();
      const again = new SqliteStore({ file, migrations: [], repo: () => ({}) });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that is gone (kill -9)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-lock-'));
    try {
      const file = join(dir, 'svc.db');
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      writeFileSync(`${file}.lock`, String(gone));
      const store = new SqliteStore({ file, migrations: [], repo: () => ({}) });
      expect(readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid));
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
