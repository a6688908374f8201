import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { deadLetterTopic, serviceSubscription, topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import { dbDown, dbUp, localDatabaseUrl } from '../../../src/services/store/local-postgres.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { waitUntil } from '../../support/env.js';
import { countMessages, freshScope, getJson, readUntil, testClient } from './support.js';

/**
 * PostgreSQL stopped under a running service and started again (a server of its own, as
 * `miso db up` makes one, so the shared test server stays up): /health says degraded, the
 * message in hand waits, and afterwards everything is handled once with nothing dead-lettered.
 */
describe('PostgreSQL going away mid-run', () => {
  const port = 55400 + Math.floor(Math.random() * 50);
  const stateDir = mkdtempSync(join(tmpdir(), 'miso-outage-'));
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let running: RunningServices;

  beforeAll(async () => {
    await dbUp({ port, stateDir });
    scope = await freshScope('svc-outage');
    client = testClient();
    running = await startServices({
      cfg: scope.cfg,
      client,
      services: ['campaign'],
      databaseUrl: localDatabaseUrl(port),
      ports: { campaign: 0 },
      nackDelayMs: 100,
    });
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    await client?.close();
    await scope?.drop();
    await dbDown({ port, stateDir, purge: true }).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('reports degraded while the database is down, holds the messages, and handles each once when it is back', async () => {
    const host = running.hosts[0]!;
    const pub = new Publisher(client, scope.cfg);
    const ids: string[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = `out-${randomUUID()}`;
        await pub.sendCommand('campaign.create', { campaign_id: id, user_id: 'u', name: 'n' });
        ids.push(id);
      }
    };
    try {
      await send(5);
      await dbDown({ port, stateDir });
      const downAt = Date.now();
      await waitUntil(async () => (await getJson(`${host.url}/health`)).body.status === 'degraded', { timeoutMs: 10_000, what: 'health degraded' });
      const health = (await getJson(`${host.url}/health`)).body;
      expect(health.database_error).toMatch(/not reachable/);
      await send(5);
      // Well past three redeliveries at 100 ms: a nacked message would have been dead-lettered by now.
      await new Promise((r) => setTimeout(r, Math.max(0, 4000 - (Date.now() - downAt))));
      await dbUp({ port, stateDir });
      await waitUntil(async () => (await getJson(`${host.url}/health`)).body.status === 'ok', { timeoutMs: 30_000, what: 'health ok again' });
      const events = await readUntil(client, scope.cfg, 'campaign-events', (s) => s.length >= 10, { timeoutMs: 30_000 });
      expect(new Set(events.map((e) => e.msg.key))).toEqual(new Set(ids));
      expect(events).toHaveLength(10);
      const dlq = deadLetterTopic(topicName(scope.cfg, 'campaign-commands'), serviceSubscription('campaign'));
      expect(await countMessages(client, dlq).catch(() => 0)).toBe(0);
    } finally {
      await pub.close();
    }
  });
});
