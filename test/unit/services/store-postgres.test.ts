import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore, sliceOf } from '../../../src/services/store/postgres.js';
import { LeaseLostError } from '../../../src/services/store/store.js';
import { ConfigError, UnreachableError } from '../../../src/errors.js';
import { PostgresPayoutProvider } from '../../../src/services/payment/provider-postgres.js';
import { dropSchemas, randomSchema, TEST_DATABASE_URL } from '../../support/postgres.js';

/** What only the shared store has to show: several writers at once, leases, bad URLs. */

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const entry = (key: string) => ({ topic: 'persistent://t/ns/x', type: 'x', key, properties: {}, payload: Buffer.from(key), eventTime: 1 });

async function open(opts: { slices?: number; schema?: string } = {}) {
  const schema = opts.schema ?? randomSchema('pgstore');
  if (!schemas.includes(schema)) schemas.push(schema);
  return PostgresStore.open({ url: TEST_DATABASE_URL, schema, migrations: [], repo: () => ({}), ...(opts.slices ? { outboxSlices: opts.slices } : {}) });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('postgres store with several writers', () => {
  it('lets one of two concurrent transactions claim a message; the other waits and then sees it claimed', async () => {
    const a = await open();
    const b = await open({ schema: schemas.at(-1)! }); // a second instance on the same schema
    const rec = { messageId: 'same', type: 't', outcome: 'accepted' as const, processedAt: 1 };
    const release = deferred();
    const claimedA = deferred();
    const txA = a.transaction(async (tx) => {
      const won = await tx.claim(rec);
      claimedA.resolve();
      await release.promise;
      return won;
    });
    await claimedA.promise;
    let bDone = false;
    const txB = b
      .transaction((tx) => tx.claim(rec))
      .finally(() => {
        bDone = true;
      });
    await new Promise((r) => setTimeout(r, 200));
    expect(bDone).toBe(false); // waiting on A's uncommitted row, not guessing
    release.resolve();
    expect(await txA).toBe(true);
    expect(await txB).toBe(false);
    await a.close();
    await b.close();
  });

  it('numbers outbox rows in commit order, so a row committed late is never below a published sequence id', async () => {
    const s = await open({ slices: 1 });
    const release = deferred();
    const enqueued = deferred();
    const late = s.transaction(async (tx) => {
      const id = await tx.enqueue(entry('late'));
      enqueued.resolve();
      await release.promise;
      return id;
    });
    await enqueued.promise;
    const earlyId = await s.transaction((tx) => tx.enqueue(entry('early')));
    const lease = (await s.leaseOutbox(0, 'relay', 5000))!;
    const first = await s.pendingOutbox(10, 0n, lease);
    expect(first.map((r) => r.id)).toEqual([earlyId]);
    release.resolve();
    const lateId = await late;
    expect(lateId < earlyId).toBe(true); // the id was taken first, the commit came last
    const second = await s.pendingOutbox(10, first[0]!.seq, lease);
    expect(second.map((r) => r.id)).toEqual([lateId]);
    expect(second[0]!.seq > first[0]!.seq).toBe(true);
    await s.close();
  });

  it('hands out rows in numeric sequence order past 9 (a text sort would put 10 before 4 and the broker would drop 4)', async () => {
    const s = await open({ slices: 1 });
    for (let i = 0; i < 25; i++) await s.transaction((tx) => tx.enqueue(entry(`k${i}`)));
    const lease = (await s.leaseOutbox(0, 'relay', 5000))!;
    const seqs = (await s.pendingOutbox(100, 0n, lease)).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await s.pendingOutbox(100, 9n, lease)).map((r) => Number(r.seq))).toEqual(Array.from({ length: 16 }, (_, i) => i + 10));
    await s.close();
  });

  it('hands an expired lease to another holder with a higher epoch and fences the old holder off', async () => {
    const s = await open({ slices: 1 });
    await s.transaction((tx) => tx.enqueue(entry('k')));
    const a = (await s.leaseOutbox(0, 'a', 300))!;
    expect(await s.leaseOutbox(0, 'b', 300)).toBeUndefined();
    expect((await s.leaseOutbox(0, 'a', 300))!.epoch).toBe(a.epoch); // a renewal keeps the epoch
    const rows = await s.pendingOutbox(10, 0n, a);
    await new Promise((r) => setTimeout(r, 400)); // a stalls past its lease (SIGSTOP, GC pause)
    const b = (await s.leaseOutbox(0, 'b', 5000))!;
    expect(b.epoch).toBeGreaterThan(a.epoch);
    await expect(
      s.markPublished(
        rows.map((r) => r.id),
        a,
      ),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await expect(s.pendingOutbox(10, 0n, a)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await s.leaseOutbox(0, 'a', 300)).toBeUndefined();
    // The successor sees the row with the sequence id it was first given: a resend is a duplicate to the broker.
    const again = await s.pendingOutbox(10, 0n, b);
    expect(again.map((r) => [r.id, r.seq])).toEqual(rows.map((r) => [r.id, r.seq]));
    await s.markPublished(
      again.map((r) => r.id),
      b,
    );
    expect(await s.outboxDepth()).toBe(0);
    await s.close();
  });

  it('spreads keys over slices, one key always to the same slice', () => {
    const slices = new Set(Array.from({ length: 200 }, (_, i) => sliceOf(`campaign-${i}`, 4)));
    expect(slices).toEqual(new Set([0, 1, 2, 3]));
    expect(sliceOf('campaign-7', 4)).toBe(sliceOf('campaign-7', 4));
  });
});

describe("the payout provider's books on PostgreSQL", () => {
  it('pays one idempotency key once when two payment instances ask at the same moment', async () => {
    const schema = randomSchema('payouts');
    schemas.push(schema);
    const [p1, p2] = await Promise.all([
      PostgresPayoutProvider.open({ url: TEST_DATABASE_URL, schema }),
      PostgresPayoutProvider.open({ url: TEST_DATABASE_URL, schema }),
    ]);
    try {
      const req = (key: string) => ({ idempotencyKey: key, amountCents: 250, currency: 'USD', payee: 'u' });
      for (let i = 0; i < 10; i++) {
        const [a, b] = await Promise.all([p1.payout(req(`k${i}`)), p2.payout(req(`k${i}`))]);
        expect(a.reference).toBe(b.reference);
        expect([a.created, b.created].sort()).toEqual([false, true]);
      }
      expect(await p1.ledger()).toEqual({ count: 10, totalCents: 2500 });
      expect((await p2.lookup('k3'))?.amountCents).toBe(250);
    } finally {
      await p1.close();
      await p2.close();
    }
  });
});

describe('postgres store, bad input', () => {
  it('says in one line that nothing answers at the URL, and what to do', async () => {
    const err = await PostgresStore.open({
      url: 'postgres://miso:secret@127.0.0.1:1/miso',
      schema: 'x',
      migrations: [],
      repo: () => ({}),
      connectTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toBe('PostgreSQL at postgres://miso:***@127.0.0.1:1/miso is not reachable (ECONNREFUSED)');
    expect((err as UnreachableError).hint).toContain('miso db up');
  });

  it('names a database that does not exist', async () => {
    const url = TEST_DATABASE_URL.replace(/\/[^/]*$/, '/no_such_database');
    const err = await PostgresStore.open({ url, schema: 'x', migrations: [], repo: () => ({}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('"no_such_database" does not exist');
  });

  it('refuses a schema name it would have to quote', async () => {
    await expect(PostgresStore.open({ url: TEST_DATABASE_URL, schema: 'Drop Table', migrations: [], repo: () => ({}) })).rejects.toBeInstanceOf(ConfigError);
  });
});
