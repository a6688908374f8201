import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { serviceSubscription, topicName } from '../../../src/core/topics.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { miso, MISO_BIN } from '../../support/cli.js';
import { TEST_ADMIN_URL, waitUntil } from '../../support/env.js';
import { freshScope, testClient } from '../../integration/services/support.js';

/**
 * `miso tail` reads; it never takes a message from anyone. With the campaign service's durable
 * subscription holding a backlog on campaign-commands (the service is not running), tail — run
 * to the end and following live — reads those commands, and afterwards the subscription's
 * backlog and cursor are what they were, and no durable subscription was added.
 */
describe('tail takes nothing from a service subscription', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let admin: AdminClient;
  const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-tail-ro-'));
  const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
  const sub = serviceSubscription('campaign');
  const topic = () => topicName(scope.cfg, 'campaign-commands');

  /** What the broker says of the service's subscription and its cursor. */
  async function snapshot() {
    const stats = await admin.topicStats(topic());
    const path = topic().replace('persistent://', '');
    const internal = (await (await fetch(`${TEST_ADMIN_URL}/admin/v2/persistent/${path}/internalStats`)).json()) as {
      cursors: Record<string, { markDeletePosition: string; messagesConsumedCounter: number }>;
    };
    const s = stats.subscriptions[sub]!;
    const cursor = internal.cursors[sub]!;
    return {
      backlog: s.msgBacklog,
      unacked: s.unackedMessages,
      markDelete: cursor.markDeletePosition,
      consumed: cursor.messagesConsumedCounter,
    };
  }

  /** The topic's subscriptions and whether each is durable. */
  async function subscriptions(): Promise<Record<string, boolean>> {
    const raw = (await admin.topicStats(topic())).raw.subscriptions as Record<string, { isDurable?: boolean }>;
    return Object.fromEntries(Object.entries(raw).map(([name, s]) => [name, s.isDurable !== false]));
  }

  beforeAll(async () => {
    scope = await freshScope('tail-ro');
    client = testClient();
    admin = new AdminClient(scope.cfg);
    // The service's subscription, as `miso run campaign` creates it, with five commands waiting on it.
    await admin.createSubscription(topic(), sub, { position: 'earliest' });
    const pub = new Publisher(client, scope.cfg);
    try {
      for (let i = 0; i < 5; i++) await pub.sendCommand('campaign.create', { campaign_id: `ro-${i}`, user_id: 'u', name: `Waiting ${i}` });
    } finally {
      await pub.close();
    }
  });

  afterAll(async () => {
    await client?.close();
    await scope?.drop();
  });

  it('reads the backlog to the end and while following; the subscription keeps its backlog and cursor', async () => {
    const before = await snapshot();
    expect(before).toMatchObject({ backlog: 5, unacked: 0 });
    expect(await subscriptions()).toEqual({ [sub]: true });

    const once = await miso(['tail', '--no-follow', '--commands', '--from', 'earliest', '--json', ...scope.flags], { env });
    expect(once.code, once.stderr).toBe(0);
    expect(
      once.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(Array(5).fill('campaign.create.command.v1'));
    expect(await snapshot()).toEqual(before);
    expect(await subscriptions()).toEqual({ [sub]: true });

    // Following: while tail is connected the broker shows its subscription, a non-durable one.
    const child = spawn(process.execPath, [MISO_BIN, 'tail', '--commands', '--from', 'earliest', '--json', ...scope.flags], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => out.split('\n').filter((l) => l.startsWith('{')).length === 5, { timeoutMs: 30_000, what: 'tail to print the five commands' });
      const subs = await subscriptions();
      const readers = Object.keys(subs).filter((name) => name !== sub);
      expect(readers).toHaveLength(1);
      expect(subs).toEqual({ [sub]: true, [readers[0]!]: false });
      expect(await snapshot()).toEqual(before);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);

    // Gone with the reader: the topic has only the service's subscription, untouched.
    await waitUntil(async () => Object.keys(await subscriptions()).length === 1, { what: "tail's reader subscription to go" });
    expect(await subscriptions()).toEqual({ [sub]: true });
    expect(await snapshot()).toEqual(before);
    expect(await admin.subscriptions(topic())).toEqual([sub]);
  });
});
