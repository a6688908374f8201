import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso } from '../../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL } from '../../support/env.js';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { decode, newEnvelope, topicName, type AnyEnvelope } from '../../../src/core/catalog/index.js';
import { freshScope, countMessages } from '../../integration/catalog/scope.js';

const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-devtools-'));
// No profile: connection settings from the environment and flags, as a user would give them.
const env = {
  MISO_CONFIG_DIR: join(dir, 'config'),
  MISO_STATE_DIR: join(dir, 'state'),
  PULSAR_SERVICE_URL: TEST_SERVICE_URL,
  PULSAR_ADMIN_URL: TEST_ADMIN_URL,
};

let scope: Awaited<ReturnType<typeof freshScope>>;
let client: PulsarClient;
let ns: string[];
const stopResponder = new AbortController();
let responderDone: Promise<void> | undefined;

/**
 * Stands in for the campaign service until services run in this test: answers every
 * campaign.create command on campaign-commands with campaign.created (caused by it).
 */
async function campaignResponder(): Promise<void> {
  const pub = new Publisher(client, scope.cfg);
  const reader = await client.createReader({ topic: topicName(scope.cfg, 'campaign-commands'), start: 'latest' });
  responderDone = (async () => {
    while (!stopResponder.signal.aborted) {
      const m = await reader.readNext(200);
      if (!m) continue;
      const cmd = decode('campaign-commands', m.payload);
      if (cmd.type !== 'campaign.create.command.v1') continue;
      const p = cmd.payload;
      await pub.publish(newEnvelope('campaign.created.v1', { campaign_id: p.campaign_id, user_id: p.user_id, name: p.name }, { causedBy: cmd }));
    }
    await reader.close();
    await pub.close();
  })();
}

beforeAll(async () => {
  scope = await freshScope('e2e');
  ns = ['--tenant', scope.cfg.tenant, '--namespace', scope.cfg.namespace];
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
  await campaignResponder();
});
afterAll(async () => {
  stopResponder.abort();
  await responderDone;
  await client?.close();
  await scope?.drop();
});

describe('miso send / tail / trace as processes', () => {
  let correlationId = '';

  it('send --wait prints the correlation id, message id and the caused event with its latency', async () => {
    const r = await miso(['send', 'campaign.create', '--name', 'My Campaign', '--user-id', 'user123', '--wait', '--timeout', '15s', ...ns], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✔ sent campaign\.create\.command\.v1 to campaign-commands$/m);
    correlationId = /correlation id\s+(\S+)/.exec(r.stdout)![1]!;
    expect(r.stdout).toMatch(/message id\s+\d+:\d+:-?\d+:-?\d+/);
    expect(r.stdout).toMatch(/^\s+\+\d+ ms.*campaign\.created\.v1 campaign-events\s+campaign=\S+ name="My Campaign" owner=user123$/m);
    expect(r.stdout).toMatch(/^✔ done in \d+ ms$/m);
  });

  it('send --wait --json gives the events with latencies', async () => {
    const r = await miso(['send', 'campaign.create', '--name', 'Second', '--user-id', 'u2', '--wait', '--json', ...ns], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      correlation_id: string;
      complete: boolean;
      events: { type: string; latency_ms: number; causation_id: string }[];
      sent: { id: string }[];
    };
    expect(out.complete).toBe(true);
    expect(out.events.map((e) => e.type)).toEqual(['campaign.created.v1']);
    expect(out.events[0]!.causation_id).toBe(out.sent[0]!.id);
    expect(out.events[0]!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('tail --json prints NDJSON envelopes that `miso send` accepts back (replay)', async () => {
    const r = await miso(['tail', '--no-follow', '--commands', '--json', '--correlation-id', correlationId, ...ns], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AnyEnvelope & { meta: { topic: string } });
    expect(lines.map((l) => l.type)).toEqual(['campaign.create.command.v1', 'campaign.created.v1']);
    expect(lines.every((l) => l.correlation_id === correlationId)).toBe(true);
    expect(lines[1]!.meta.topic).toBe(topicName(scope.cfg, 'campaign-events'));

    const eventsBefore = await countMessages(client, topicName(scope.cfg, 'campaign-events'));
    const replay = await miso(['send', '--file', '-', '--json', ...ns], { env, input: JSON.stringify(lines[1]) + '\n' });
    expect(replay.code, replay.stderr).toBe(0);
    expect((JSON.parse(replay.stdout) as { id: string }).id).toBe(lines[1]!.id);
    expect(await countMessages(client, topicName(scope.cfg, 'campaign-events'))).toBe(eventsBefore + 1);
  });

  it('trace prints the causal tree with per-hop latency; --json gives the tree', async () => {
    const r = await miso(['trace', correlationId, ...ns], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^workflow ${correlationId} · 2 messages · total \\d+ ms`));
    expect(lines[1]).toMatch(/^campaign\.create\.command\.v1 campaign-commands /);
    // The replayed event is the same message (same id), seen twice.
    expect(lines[2]).toMatch(/^└─ campaign\.created\.v1 campaign-events .* \+\d+ ms .*×2/);
    const j = await miso(['trace', correlationId, '--json', ...ns], { env });
    const tree = JSON.parse(j.stdout) as { message_count: number; roots: { type: string; children: { type: string; latency_ms: number }[] }[] };
    expect(tree.roots[0]!.children[0]!.type).toBe('campaign.created.v1');
  });
});

describe('load: send --count --rate', () => {
  it('sends N copies with fresh ids, in order, and reports them', async () => {
    const topic = topicName(scope.cfg, 'tracking-commands');
    const before = await countMessages(client, topic);
    const r = await miso(
      [
        'send',
        'tracking.create_event',
        '--event-type',
        'view',
        '--campaign-id',
        'c1',
        '--video-id',
        'v1',
        '--visitor-id',
        'x',
        '--count',
        '25',
        '--rate',
        '200',
        '--json',
        ...ns,
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const sent = (JSON.parse(r.stdout) as { sent: { id: string; correlation_id: string; message_id: string }[] }).sent;
    expect(sent).toHaveLength(25);
    expect(new Set(sent.map((s) => s.id)).size).toBe(25);
    expect(await countMessages(client, topic)).toBe(before + 25);
    const human = await miso(
      ['send', 'tracking.create_event', '--event-type', 'view', '--campaign-id', 'c1', '--video-id', 'v1', '--visitor-id', 'x', '--count', '3', ...ns],
      { env },
    );
    expect(human.stdout).toMatch(/^✔ sent 3 messages \(3 workflows\)$/m);
  });
});

describe('bad input: one line, non-zero exit, nothing sent', () => {
  async function commandsOnTopic(): Promise<number> {
    return countMessages(client, topicName(scope.cfg, 'campaign-commands'));
  }

  it('unknown type → did you mean', async () => {
    const r = await miso(['send', 'campain.create', '--name', 'x', ...ns], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('miso: unknown message type "campain.create" — Did you mean "campaign.create"? Run `miso schemas list` for all types.');
  });

  it('missing required field, wrong field type, unknown field', async () => {
    const before = await commandsOnTopic();
    const missing = await miso(['send', 'campaign.create', '--name', 'x', ...ns], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      'miso: missing required field "payload.user_id": expected text (string) — Nothing was sent. See the fields with `miso schemas show campaign.create`.',
    );
    const wrong = await miso(['send', 'campaign.create', '--name', 'x', '--user-id', 'u', '--budget-minor', '12.50', ...ns], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^miso: --budget-minor must be a whole number \(long\) or null, got "12\.50"/);
    const unknown = await miso(['send', 'campaign.create', '--name', 'x', '--usr-id', 'u', ...ns], { env });
    expect(unknown.stderr).toMatch(/unknown field --usr-id for campaign\.create\.command\.v1 — did you mean --user-id\?/);
    expect(await commandsOnTopic()).toBe(before);
  });

  it('a malformed NDJSON line: its number, none sent; --continue-on-error sends the valid ones', async () => {
    const before = await commandsOnTopic();
    const file = join(dir, 'batch.ndjson');
    writeFileSync(file, ['{"name":"a","user_id":"u"}', '{"name":"b","user_id":', '{"name":"c","user_id":"u"}'].join('\n'));
    const r = await miso(['send', 'campaign.create', '--file', file, ...ns], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^miso: line 2 is not valid JSON.* — Nothing was sent\. Fix the line, or pass --continue-on-error/);
    expect(await commandsOnTopic()).toBe(before);
    const go = await miso(['send', 'campaign.create', '--file', file, '--continue-on-error', '--json', ...ns], { env });
    expect(go.code, go.stderr).toBe(0);
    expect(go.stderr).toMatch(/skipped line 2 is not valid JSON/);
    expect((JSON.parse(go.stdout) as { sent: unknown[] }).sent).toHaveLength(2);
    expect(await commandsOnTopic()).toBe(before + 2);
  });

  it('--wait with nobody answering: sent, then one line naming the unanswered command and its service, exit 1', async () => {
    const r = await miso(
      [
        'send',
        'payment.process',
        '--commission-id',
        'co-1',
        '--user-id',
        'u',
        '--amount-minor',
        '100',
        '--idempotency-key',
        'co-1',
        '--wait',
        '--timeout',
        '1s',
        ...ns,
      ],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✔ sent payment\.process\.command\.v1 to payment-commands$/m);
    expect(r.stderr.trim()).toMatch(
      /^miso: no answer to payment\.process\.command\.v1 [0-9a-f-]{36} within 1s — Is the payment service running\? Start it with `miso run payment`, or wait longer with --timeout 30s\.$/,
    );
  });

  it('unknown correlation id → says so and how to widen the window', async () => {
    const r = await miso(['trace', 'no-such-workflow', ...ns], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^miso: no message of workflow no-such-workflow in the last 1h \(\d+ messages scanned\) — Widen the window with --since 24h/,
    );
  });

  it('broker down → one line naming the broker and the fix', async () => {
    const before = await commandsOnTopic();
    const r = await miso(['send', 'campaign.create', '--name', 'x', '--user-id', 'u', '--service-url', 'pulsar://127.0.0.1:1', ...ns], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('miso: cannot reach the broker at 127.0.0.1:1 (connection refused) — Start it with `miso broker up` or check --service-url.');
    const t = await miso(['tail', '--no-follow', '--service-url', 'pulsar://127.0.0.1:1', ...ns], { env });
    expect(t.code).toBe(1);
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
    expect(await commandsOnTopic()).toBe(before);
  });

  it('a namespace without topics (init not run) → says to run init, nothing created', async () => {
    const r = await miso(['send', 'campaign.create', '--name', 'x', '--user-id', 'u', '--tenant', scope.cfg.tenant, '--namespace', 'not-initialised'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `miso: topic persistent://${scope.cfg.tenant}/not-initialised/campaign-commands does not exist — Run \`miso init\` (with the same --tenant/--namespace) to create the topics.`,
    );
  });
});
