import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher, type Published } from '../../../src/core/publisher.js';
import { topicName } from '../../../src/core/topics.js';
import type { RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { miso } from '../../support/cli.js';
import { waitUntil } from '../../support/env.js';
import { countMessages, freshScope, postJson, readUntil, testClient, startFourServices } from './support.js';

/**
 * Retry groups end to end: the four services run, a burst of payments fails at the payout
 * provider, `miso dlq groups` shows them as one group, a replay before the fix dead-letters
 * them again (and sweeps none of the newcomers in), a replay after the fix gets them handled,
 * and the outcome table matches what the topics hold.
 */
describe('dlq groups and replay --group --wait (four services, real broker)', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let running: RunningServices;
  const dir = mkdtempSync(join(tmpdir(), 'miso-dlq-groups-'));
  const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
  const cli = (...args: string[]) => miso([...args, ...scope.flags], { env, timeoutMs: 90_000 });
  const url = (svc: string) => running.hosts.find((h) => h.def.name === svc)!.url!;
  const burst: Published[] = [];

  beforeAll(async () => {
    scope = await freshScope('dlq-groups');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    running = await startFourServices(scope, client, { nackDelayMs: 50, payoutFailureRate: 1 });
    // The poison burst: four payouts the provider refuses, and one message that is not Avro at all.
    for (let i = 0; i < 4; i++) {
      burst.push(
        await pub.sendCommand('payment.process', {
          commission_id: `k-burst-${i}`,
          user_id: `u${i}`,
          amount_minor: 100 * (i + 1),
          idempotency_key: `k-burst-${i}`,
        }),
      );
    }
    const raw = await client.createProducer({ topic: topicName(scope.cfg, 'campaign-commands') });
    await raw.send({ payload: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    await raw.close();
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('groups the burst, replays it before and after the fix, and reports what the topics show', async () => {
    const groups = await waitUntil(
      async () => {
        const r = await cli('dlq', 'groups', '--json');
        const g = JSON.parse(r.stdout) as any[];
        return g.reduce((n, x) => n + x.count, 0) >= 5 ? g : undefined;
      },
      { timeoutMs: 30_000, what: 'five dead letters in groups' },
    );
    // The provider fails in two ways (unavailable, timed out): a group per way, whatever the ids and counts.
    const paymentGroups = groups.filter((g) => g.service === 'payment');
    expect(paymentGroups.reduce((n, g) => n + g.count, 0)).toBe(4);
    for (const g of paymentGroups) {
      expect(g).toMatchObject({ type: 'payment.process.command.v1', replayed: 0, schema_version: '0' });
      expect(g.error).toMatch(/^failed <n> times; last error: payout provider/);
    }
    expect(new Set(paymentGroups.map((g) => g.error)).size).toBe(paymentGroups.length);
    expect(groups.find((g) => g.service === 'campaign')).toMatchObject({ count: 1, type: 'undecodable' });
    const payments = paymentGroups[0]!;
    const n = payments.count as number;

    const human = await cli('dlq', 'groups');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${payments.id}  ${String(n).padStart(4)} × payment  payment.process.command.v1  schema v0`);

    // Bad input: one line with a next step, exit 2, nothing sent.
    const paymentCommands = topicName(scope.cfg, 'payment-commands');
    const before = await countMessages(client, paymentCommands);
    const unknown = await cli('dlq', 'replay', '--group', 'ffffffffff');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no dead-letter group "ffffffffff"/);
    expect(unknown.stderr).toMatch(/miso dlq groups/);
    const dry = await cli('dlq', 'replay', '--group', payments.id, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(
      JSON.parse(dry.stdout)
        .replayed.map((r: any) => r.id)
        .sort(),
    ).toEqual([...payments.dead_letters].sort());
    expect(await countMessages(client, paymentCommands)).toBe(before);

    // Before the fix: every replay is dead-lettered again. Those new dead letters arrive while
    // the replay runs (rate 4/s) and are not swept into it: the snapshot was fixed first.
    const first = await cli('dlq', 'replay', '--group', payments.id, '--rate', '4/s', '--wait', '--timeout', '30s', '--json');
    expect(first.code).toBe(1);
    const firstOut = JSON.parse(first.stdout);
    expect(firstOut.replayed).toHaveLength(n);
    expect(firstOut.outcomes.map((o: any) => o.outcome)).toEqual(Array(n).fill('dead-lettered'));
    expect(firstOut.outcomes[0].reason).toMatch(/payout provider/);
    expect(await countMessages(client, paymentCommands)).toBe(before + n);

    // The replayed ones are marked; their new dead letters join the payment groups unmarked.
    const grown = (JSON.parse((await cli('dlq', 'groups', '--json')).stdout) as any[]).filter((g) => g.service === 'payment');
    expect(grown.reduce((k, g) => k + g.count, 0)).toBe(4 + n);
    expect(grown.reduce((k, g) => k + g.replayed, 0)).toBe(n);
    const list = JSON.parse((await cli('dlq', 'list', '--service', 'payment', '--json')).stdout) as any[];
    const marked = list.filter((d) => d.replayed.length > 0);
    expect(marked.map((d) => d.id).sort()).toEqual(firstOut.replayed.map((r: any) => r.id).sort());
    // A dead letter replayed once needs --again.
    const twice = await cli('dlq', 'replay', marked[0].id);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/replayed already/);
    expect(twice.stderr).toMatch(/--again/);

    // The cause is fixed; each group's replay takes only what was not replayed yet, and each is handled.
    expect((await postJson(`${url('payment')}/provider/failures`, { failure_rate: 0 })).status).toBe(200);
    let handled = 0;
    for (const g of grown.filter((x) => x.count > x.replayed)) {
      const fixed = await cli('dlq', 'replay', '--group', g.id, '--wait', '--timeout', '30s');
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(fixed.stderr).toContain(`${g.count - g.replayed} to replay`);
      if (g.replayed) expect(fixed.stderr).toContain(`${g.replayed} replayed before left out`);
      expect(fixed.stdout).toMatch(/dead-lettered again\s+0/);
      expect(fixed.stdout).toMatch(/still pending\s+0/);
      handled += Number(/handled\s+(\d+)/.exec(fixed.stdout)![1]);
    }
    expect(handled).toBe(4);

    // The table matches the topics: one payment.processed per burst command, caused by it.
    const paid = await readUntil(client, scope.cfg, 'payment-events', (s) => burst.every((b) => s.some((m) => m.env.causation_id === b.id)));
    for (const b of burst) {
      const ev = paid.filter((m) => m.env.causation_id === b.id);
      expect(ev).toHaveLength(1);
      expect(ev[0]!.env).toMatchObject({ type: 'payment.processed.v1', correlation_id: b.correlationId, payload: { status: 'paid' } });
    }
  }, 180_000);
});
