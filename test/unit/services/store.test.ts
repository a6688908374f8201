import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/services/store/sqlite.js';
import { ConfigError } from '../../../src/errors.js';
import { sleep } from '../../../src/util/wait.js';

const migrations = [
  { version: 2, name: 'things', sql: 'CREATE TABLE things (id TEXT PRIMARY KEY)' },
  { version: 3, name: 'thing sizes', sql: 'ALTER TABLE things ADD COLUMN size INTEGER' },
];
const repo = (db: DatabaseSync) => ({
  add: async (id: string, size = 0) => void db.prepare('INSERT INTO things (id, size) VALUES (?, ?)').run(id, size),
  count: async () => (db.prepare('SELECT COUNT(*) AS n FROM things').get() as { n: number }).n,
});
const entry = (n: number) => ({ topic: 'persistent://t/ns/x', type: 'x', key: `k${n}`, properties: { n: String(n) }, payload: Buffer.from([n]), eventTime: 1000 + n });

describe('sqlite service store', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'miso-store-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('applies versioned migrations once and records them', async () => {
    const file = join(tmp(), 'svc', 'a.db');
    const s1 = new SqliteStore({ file, migrations: migrations.slice(0, 1), repo });
    const id = s1.storeId;
    await s1.close();
    const s2 = new SqliteStore({ file, migrations, repo });
    const versions = s2.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => (r as { version: number }).version);
    expect(versions).toEqual([1, 2, 3]);
    expect(s2.storeId).toBe(id); // stable across restarts: the outbox producer name depends on it
    await s2.transaction(async (tx) => tx.repo.add('a', 5));
    expect(await s2.read((r) => r.count())).toBe(1);
    await s2.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(tmp(), 'b.db');
    await new SqliteStore({ file, migrations, repo }).close();
    expect(() => new SqliteStore({ file, migrations: migrations.slice(0, 1), repo })).toThrow(ConfigError);
  });

  it('commits state and outbox together, or neither', async () => {
    const s = new SqliteStore({ file: ':memory:', migrations, repo });
    await expect(s.transaction(async (tx) => {
      await tx.repo.add('x');
      await tx.enqueue(entry(1));
      await tx.markProcessed({ messageId: 'm1', type: 't', outcome: 'accepted', processedAt: 1 });
      throw new Error('handler failed');
    })).rejects.toThrow('handler failed');
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

  it('gives outbox rows increasing ids that are never reused, even after all are published', async () => {
    const file = join(tmp(), 'c.db');
    const s = new SqliteStore({ file, migrations, repo });
    const ids = await s.transaction(async (tx) => [await tx.enqueue(entry(1)), await tx.enqueue(entry(2))]);
    expect(ids[1]! > ids[0]!).toBe(true);
    const rows = await s.pendingOutbox(10);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows[0]).toMatchObject({ key: 'k1', properties: { n: '1' }, eventTime: 1001 });
    expect(rows[0]!.payload.equals(Buffer.from([1]))).toBe(true);
    await s.markPublished(ids);
    expect(await s.outboxDepth()).toBe(0);
    await s.close();
    const again = new SqliteStore({ file, migrations, repo });
    const next = await again.transaction((tx) => tx.enqueue(entry(3)));
    expect(next > ids[1]!).toBe(true);
    await again.close();
  });

  it('forgets processed ids older than asked', async () => {
    const s = new SqliteStore({ file: ':memory:', migrations, repo });
    await s.transaction(async (tx) => {
      await tx.markProcessed({ messageId: 'old', type: 't', outcome: 'accepted', processedAt: 1_000 });
      await tx.markProcessed({ messageId: 'new', type: 't', outcome: 'accepted', processedAt: 5_000 });
    });
    expect(await s.pruneProcessed(2_000)).toBe(1);
    expect(await s.transaction((tx) => tx.processed('old'))).toBeUndefined();
    expect(await s.transaction((tx) => tx.processed('new'))).toBeDefined();
    await s.close();
  });

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
