import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { sleep } from '../../../src/util/wait.js';
import { miso } from '../../support/cli.js';
import { waitUntil } from '../../support/env.js';
import { freshScope, getJson, onceEach, outboxesDrained, readAllDecoded, readUntil, testClient } from '../../integration/services/support.js';
import { startServiceProcess, type ServiceProcess } from './procs.js';

/**
 * The four services as separate `miso run` processes — the normal shape — running the full
 * chain, checked with `miso trace`; then kill -9 in the middle of many workflows.
 */
describe('services as separate processes', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  const procs = new Map<string, ServiceProcess>();
  const env = { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-e2e-cfg-')) };
  const start = async (svc: string) => {
    const p = await startServiceProcess(svc, [...scope.flags, '--data-dir', scope.dataDir, '--nack-delay-ms', '200'], env);
    procs.set(svc, p);
    return p;
  };

  beforeAll(async () => {
    scope = await freshScope('svc-e2e');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    await Promise.all(['campaign', 'tracking', 'commission', 'payment'].map(start));
    const c = await pub.sendCommand('campaign.create', { campaign_id: 'camp', user_id: 'owner', name: 'E2E' });
    await pub.sendCommand(
      'campaign.add_video',
      { campaign_id: 'camp', video_id: 'vid', url: 'https://videos.example/e2e', title: 'E2E' },
      { correlationId: c.correlationId },
    );
    await readUntil(client, scope.cfg, 'campaign-events', (s) => s.length >= 2);
    const tracking = procs.get('tracking')!;
    await waitUntil(async () => (await getJson(`${tracking.url}/health`)).body.stats?.videos === 1, { what: 'tracking to know the video' });
  }, 120_000);

  afterAll(async () => {
    for (const p of procs.values()) await p.stop().catch(() => {});
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('tracking → commission → payment across four processes, shown by `miso trace`', async () => {
    const sent = await pub.sendCommand('tracking.create_event', {
      event_type: 'conversion',
      campaign_id: 'camp',
      video_id: 'vid',
      visitor_id: 'v',
      sale_amount_minor: 10_000,
    });
    await readUntil(client, scope.cfg, 'payment-events', (s) => s.some((m) => m.env.correlation_id === sent.correlationId));
    const r = await miso(['trace', sent.correlationId, '--json', ...scope.flags], { env });
    expect(r.code, r.stderr).toBe(0);
    const trace = JSON.parse(r.stdout) as { message_count: number; roots: Node[] };
    type Node = { type: string; children: Node[] };
    const chain: string[] = [];
    for (let n: Node | undefined = trace.roots[0]; n; n = n.children.find((c) => c.children.length > 0) ?? n.children[0]) chain.push(n.type);
    expect(chain).toEqual([
      'tracking.create_event.command.v1',
      'tracking_event.created.v1',
      'commission.calculate.command.v1',
      'commission.calculated.v1',
      'payment.process.command.v1',
      'payment.processed.v1',
    ]);
    expect(trace.message_count).toBe(6);
  });

  it('`miso dlq list/show/replay` as a user runs them', async () => {
    const raw = await client.createProducer({ topic: `persistent://${scope.cfg.tenant}/ns/campaign-commands` });
    const poison = await raw.send({ payload: Buffer.from('garbage'), properties: { type: 'campaign.create.command.v1' } });
    await raw.close();
    const dl = await waitUntil(
      async () => {
        const r = await miso(['dlq', 'list', '--json', ...scope.flags], { env });
        expect(r.code, r.stderr).toBe(0);
        const listed = JSON.parse(r.stdout) as { id: string; origin_message_id: string; last_error: string; service: string }[];
        return listed.find((d) => d.origin_message_id === poison.toString());
      },
      { intervalMs: 100, what: 'the poison message in `miso dlq list`' },
    );
    expect(dl).toMatchObject({ service: 'campaign', last_error: expect.stringMatching(/cannot decode/) });
    const shown = await miso(['dlq', 'show', dl.id, ...scope.flags], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/undecodable/);
    expect(shown.stdout).toContain(poison.toString());
    const dry = await miso(['dlq', 'replay', dl.id, '--dry-run', ...scope.flags], { env });
    expect(dry.stdout).toMatch(/would replay/);
    const none = await miso(['dlq', 'replay', ...scope.flags], { env });
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/say which dead letter.*--all/);
  });

  it('SIGTERM in the middle of 100 workflows: in-flight work finished, outbox published, nothing lost on restart', async () => {
    const total = 100;
    const sends: Promise<{ correlationId: string }>[] = [];
    let code: number | null | undefined;
    let stopped: { event: string; outbox_left: Record<string, number> } | undefined;
    for (let i = 0; i < total; i++) {
      sends.push(pub.sendCommand('tracking.create_event', { event_type: 'click', campaign_id: 'camp', video_id: 'vid', visitor_id: `t${i}` }));
      if (i === 40) {
        const victim = procs.get('commission')!;
        code = await victim.stop();
        stopped = victim
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((e) => e.event === 'stopped');
        await start('commission');
      }
      await sleep(5); // pacing: workflows arrive over time, not all at once
    }
    expect(code).toBe(0);
    expect(stopped).toEqual({ event: 'stopped', outbox_left: { commission: 0 } });
    const ids = new Set((await Promise.all(sends)).map((s) => s.correlationId));
    const mine = (s: { env: { correlation_id: string } }) => ids.has(s.env.correlation_id);
    await readUntil(client, scope.cfg, 'payment-events', (s) => s.filter(mine).length >= total, { timeoutMs: 60_000 });
    // Then each topic to its end: exactly one of each per workflow, however late a copy came.
    await outboxesDrained([...procs.values()].map((p) => p.url));
    for (const t of ['tracking-events', 'commission-events', 'payment-events'] as const) {
      const keys = (await readAllDecoded(client, scope.cfg, t)).filter(mine).map((m) => m.env.correlation_id);
      expect(onceEach(ids, keys), t).toEqual({ missing: [], duplicated: [], unexpected: 0 });
    }
  }, 120_000);

  it('kill -9 of commission and payment in the middle of 200 workflows: every commission paid exactly once', async () => {
    const total = 200;
    const sends: Promise<{ correlationId: string }>[] = [];
    const killed: string[] = [];
    for (let i = 0; i < total; i++) {
      sends.push(
        pub.sendCommand('tracking.create_event', {
          event_type: i % 3 === 0 ? 'conversion' : i % 3 === 1 ? 'click' : 'view',
          campaign_id: 'camp',
          video_id: 'vid',
          visitor_id: `v${i}`,
          ...(i % 3 === 0 ? { sale_amount_minor: 1000 + i } : {}),
        }),
      );
      if (i === 60 || i === 130) {
        // Kill mid-stream with work in flight, then start again on the same database.
        const victim = i === 60 ? 'commission' : 'payment';
        await procs.get(victim)!.kill9();
        killed.push(victim);
        await start(victim);
      }
      await sleep(5); // pacing: workflows arrive over time, not all at once
    }
    const ids = new Set((await Promise.all(sends)).map((s) => s.correlationId));
    expect(killed).toEqual(['commission', 'payment']);

    const mine = (s: { env: { correlation_id: string } }) => ids.has(s.env.correlation_id);
    await readUntil(client, scope.cfg, 'payment-events', (s) => new Set(s.filter(mine).map((m) => m.env.correlation_id)).size >= total, { timeoutMs: 90_000 });
    // Then the topics to their ends, once every outbox is empty: a copy that came after the
    // 200th must fail the count.
    await outboxesDrained([...procs.values()].map((p) => p.url));
    const paid = (await readAllDecoded(client, scope.cfg, 'payment-events')).filter(mine);
    const calculated = (await readAllDecoded(client, scope.cfg, 'commission-events')).filter(mine);
    expect(
      onceEach(
        ids,
        paid.map((m) => m.env.correlation_id),
      ),
    ).toEqual({ missing: [], duplicated: [], unexpected: 0 });
    // Exactly once on the topics: resends after the crashes were dropped by broker deduplication.
    expect(calculated).toHaveLength(total);
    expect(paid).toHaveLength(total);
    const commissionIds = paid.map((m) => (m.env.payload as { commission_id: string }).commission_id);
    expect(new Set(commissionIds).size).toBe(total);

    // Exactly once in the books: the payment database and the provider's ledger.
    const paymentDb = new DatabaseSync(join(scope.dataDir, 'payment.db'), { readOnly: true });
    const ledger = new DatabaseSync(join(scope.dataDir, 'payout-provider.db'), { readOnly: true });
    const placeholders = commissionIds.map(() => '?').join(',');
    const rows = paymentDb
      .prepare(`SELECT COUNT(*) AS n, COUNT(DISTINCT commission_id) AS d FROM payments WHERE commission_id IN (${placeholders})`)
      .get(...commissionIds) as { n: number; d: number };
    const payouts = ledger.prepare(`SELECT COUNT(*) AS n FROM payouts WHERE idempotency_key IN (${placeholders})`).get(...commissionIds) as { n: number };
    paymentDb.close();
    ledger.close();
    expect(rows).toEqual({ n: total, d: total });
    expect(payouts.n).toBe(total);
  }, 180_000);
});
