import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { topicName } from '../../../src/core/topics.js';
import type { Message, PulsarClient } from '../../../src/pulsar/index.js';
import { MISO_BIN } from '../../support/cli.js';
import { waitUntil } from '../../support/env.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { freshScope, getJson, testClient } from './support.js';

/**
 * Three `miso run campaign` processes on one PostgreSQL database, as a user starts them. The
 * instance holding the most outbox slices is killed (-9) mid-load, then another is paused
 * (SIGSTOP) past its lease and woken: every event reaches the topic exactly once.
 */

interface Instance {
  id: string;
  child: ChildProcess;
  url: string;
}

async function startInstance(id: string, url: string, flags: string[]): Promise<Instance> {
  const child = spawn(process.execPath, [MISO_BIN, 'run', 'campaign', '--database-url', url, '--port', '0', '--instance-id', id, '--json', ...flags], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const started = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`instance ${id} did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"started"'));
      if (line) {
        clearTimeout(t);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.on('exit', (code) => reject(new Error(`instance ${id} exited (${code}): ${err}`)));
  });
  return { id, child, url: started };
}

async function held(i: Instance): Promise<number[]> {
  const h = await getJson(`${i.url}/health`).catch(() => undefined);
  return (h?.body?.outbox_slices_held as number[] | undefined) ?? [];
}

async function readAll(client: PulsarClient, topic: string, expected: number, timeoutMs: number): Promise<Message[]> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  const seen: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const m = await reader.readNext(seen.length >= expected ? 1500 : 200);
      if (m) seen.push(m);
      else if (seen.length >= expected || Date.now() > deadline) return seen;
    }
  } finally {
    await reader.close();
  }
}

describe('outbox hand-over between instances (PostgreSQL, real processes)', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  const database = `takeover_${randomBytes(5).toString('hex')}`;
  const dbUrl = TEST_DATABASE_URL.replace(/\/[^/]*$/, `/${database}`);
  const instances: Instance[] = [];
  const sent: string[] = [];

  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    scope = await freshScope('svc-takeover');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    // One after the other: the first creates the schema, the others find it.
    for (const id of ['p1', 'p2', 'p3']) instances.push(await startInstance(id, dbUrl, scope.flags));
  });

  afterAll(async () => {
    for (const i of instances) {
      i.child.kill('SIGCONT');
      i.child.kill('SIGKILL');
    }
    await pub?.close();
    await client?.close();
    await scope?.drop();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
  });

  const send = async (n: number, gapMs: number, during?: { at: number; then: () => Promise<void> }) => {
    for (let i = 0; i < n; i++) {
      const id = `to-${randomUUID()}`;
      await pub.sendCommand('campaign.create', { campaign_id: id, user_id: 'u', name: 'n' });
      sent.push(id);
      if (during && i === during.at) await during.then();
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  };

  const checkTopic = async () => {
    const events = await readAll(client, topicName(scope.cfg, 'campaign-events'), sent.length, 90_000);
    const created = events.filter((m) => m.properties.type === 'campaign.created.v1');
    const ids = created.map((m) => m.key);
    expect(new Set(ids).size).toBe(ids.length); // no duplicate
    expect(new Set(ids)).toEqual(new Set(sent)); // no loss
  };

  it('spreads the four outbox slices over the three instances', async () => {
    await waitUntil(
      async () => {
        const all = (await Promise.all(instances.map(held))).map((h) => h.length);
        return all.reduce((a, b) => a + b, 0) === 4 && all.every((n) => n >= 1 && n <= 2);
      },
      { timeoutMs: 30_000, what: 'slices spread over three instances' },
    );
  });

  it('takes over the slices of an instance killed with -9 within seconds, with no event lost or doubled', async () => {
    let killedAt = 0;
    let victim: Instance | undefined;
    await send(120, 5, {
      at: 40,
      then: async () => {
        const counts = await Promise.all(instances.map(held));
        victim = instances[counts.indexOf(counts.reduce((a, b) => (b.length > a.length ? b : a)))]!;
        victim.child.kill('SIGKILL');
        killedAt = Date.now();
      },
    });
    const survivors = instances.filter((i) => i !== victim);
    await waitUntil(async () => (await Promise.all(survivors.map(held))).flat().length === 4, { timeoutMs: 20_000, what: 'survivors holding every slice' });
    const takeoverMs = Date.now() - killedAt;
    console.log(`takeover after kill -9: ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(15_000);
    await checkTopic();
    instances.splice(instances.indexOf(victim!), 1);
  });

  it('fences a paused instance: after SIGSTOP past its lease and SIGCONT, every event is still there once', async () => {
    const counts = await Promise.all(instances.map(held));
    const paused = instances[counts.findIndex((c) => c.length > 0)]!;
    const other = instances.find((i) => i !== paused)!;
    await send(60, 5, {
      at: 20,
      then: async () => {
        paused.child.kill('SIGSTOP');
      },
    });
    await waitUntil(async () => (await held(other)).length === 4, { timeoutMs: 20_000, what: 'the other instance holding every slice' });
    paused.child.kill('SIGCONT');
    await checkTopic();
    await waitUntil(async () => (await held(paused)).length > 0, { timeoutMs: 20_000, what: 'the woken instance taking its share again' });
    const depth = await admin(async () => {
      const c = new pg.Client({ connectionString: dbUrl });
      await c.connect();
      try {
        return Number((await c.query('SELECT count(*) AS n FROM campaign.outbox')).rows[0].n);
      } finally {
        await c.end();
      }
    });
    expect(depth).toBe(0);
  });
});
