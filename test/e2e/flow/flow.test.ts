import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { topicName } from '../../../src/core/topics.js';
import { startServices, type RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { miso } from '../../support/cli.js';
import { countMessages, freshScope, postJson, readUntil, testClient } from '../../integration/services/support.js';

/**
 * `miso flow record` and `miso flow verify` as a user (or CI) runs them, against the four
 * services on the real broker: the shipped flows hold; flows edited to expect what the
 * services do not do, and a payout provider that fails, are caught with the hop named; bad
 * flow files and unknown workflows are refused with nothing sent.
 */
// Every flow shipped in flows/: a new one is verified here without touching this file.
const FLOWS = readdirSync('flows')
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => join('flows', f));

describe('miso flow against the four services', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let chain: RunningServices;
  let payment: RunningServices;
  const dir = mkdtempSync(join(tmpdir(), 'miso-flow-'));
  const env = { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-flow-cfg-')) };
  const run = (args: string[]) => miso([...args, ...scope.flags], { env, timeoutMs: 120_000 });
  const edited = (from: string, name: string, edit: (f: any) => void): string => {
    const f = JSON.parse(readFileSync(from, 'utf8'));
    f.name = name;
    edit(f);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(f, null, 2));
    return file;
  };

  beforeAll(async () => {
    scope = await freshScope('svc-flow');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    const common = { cfg: scope.cfg, client, dataDir: scope.dataDir, ports: { campaign: 0, tracking: 0, commission: 0, payment: 0 } };
    chain = await startServices({ ...common, services: ['campaign', 'tracking', 'commission'], mode: 'event', nackDelayMs: 100 });
    // Hybrid: the test can tell the simulated payout provider to fail. A failed payout is
    // retried after 1.5 s, longer than the 1 s budget of the payment hop.
    payment = await startServices({ ...common, services: ['payment'], mode: 'hybrid', nackDelayMs: 1500 });
  }, 120_000);

  afterAll(async () => {
    await payment?.stop();
    await chain?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('the shipped flows hold: exit 0, a passing JUnit test case per flow', async () => {
    const junit = join(dir, 'reports', 'flows.xml');
    const r = await run(['flow', 'verify', ...FLOWS, '--junit', junit, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; flows: { name: string; ok: boolean; matched: number; expected: number; failures: unknown[] }[] };
    // The four services' main chains, and a rejected command, are among them.
    expect(out.flows.map((f) => f.name)).toEqual(
      expect.arrayContaining(['campaign-create-rejected', 'campaign-video', 'tracking-click', 'tracking-conversion']),
    );
    expect(out.flows.map((f) => [f.name, f.ok, f.failures])).toEqual(out.flows.map((f) => [f.name, true, []]));
    for (const f of out.flows) expect(f.matched).toBe(f.expected);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(new RegExp(`<testsuites name="miso flow verify" tests="${FLOWS.length}" failures="0"`));
    expect(xml.match(/<testcase [^>]*\/>/g)).toHaveLength(FLOWS.length);
    // The fresh workflow is on the topics: the chain really ran, with fresh ids.
    const click = (out.flows.find((f) => f.name === 'tracking-click') as unknown as { correlation_id: string }).correlation_id;
    const paid = await readUntil(client, scope.cfg, 'payment-events', (s) => s.some((m) => m.env.correlation_id === click));
    expect(paid.find((m) => m.env.correlation_id === click)!.env).toMatchObject({
      type: 'payment.processed.v1',
      payload: { status: 'paid', amount_minor: 25 },
    });
  });

  it('recording a workflow sent as the shipped flow describes gives that flow back', async () => {
    const created = await pub.sendCommand('campaign.create', { user_id: 'owner-1', name: 'Spring launch' });
    const campaignId = (created.envelope.payload as { campaign_id: string }).campaign_id;
    await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === created.id));
    const added = await pub.sendCommand(
      'campaign.add_video',
      { campaign_id: campaignId, url: 'https://videos.example/spring', title: 'Spring teaser' },
      { correlationId: created.correlationId },
    );
    await readUntil(client, scope.cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === added.id));
    const out = join(dir, 'recorded.json');
    const r = await run(['flow', 'record', created.correlationId, '--out', out, '--name', 'campaign-video']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ recorded campaign-video: 4 messages, 2 hops, 2 roots/);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(campaignId);
    expect(text).not.toContain(created.correlationId);
    // Budgets depend on how busy the machine was; everything else must be identical.
    const noBudgets = (t: string) => JSON.parse(t, (k, v) => (k === 'budgetMs' ? undefined : v));
    expect(noBudgets(text)).toEqual(noBudgets(readFileSync('flows/campaign-video.json', 'utf8')));
    // To stdout (`> file`): the same text.
    const piped = await run(['flow', 'record', created.correlationId, '--name', 'campaign-video']);
    expect(piped.code, piped.stderr).toBe(0);
    expect(noBudgets(piped.stdout)).toEqual(noBudgets(text));
  });

  it('flows that expect what the services do not do fail, each naming the hop; exit 1, JUnit failures', async () => {
    const extraHop = edited('flows/tracking-click.json', 'click-two-payouts', (f) => {
      f.nodes.push({ id: 'payment.process.command.v1#2', type: 'payment.process.command.v1', topic: 'payment-commands', kind: 'command' });
      f.hops.push({ from: 'commission.calculated.v1', to: 'payment.process.command.v1#2', budgetMs: 1000, carries: {} });
    });
    const carry = edited('flows/tracking-conversion.json', 'conversion-full-commission', (f) => {
      f.hops.find((h: any) => h.to === 'commission.calculated.v1').carries.amount_minor = 'sale_amount_minor';
    });
    const retyped = edited('flows/campaign-create-rejected.json', 'blank-name-accepted', (f) => {
      f.nodes[1] = { id: 'campaign.created.v1', type: 'campaign.created.v1', topic: 'campaign-events', kind: 'event' };
      f.hops[0] = { from: 'campaign.create.command.v1', to: 'campaign.created.v1', budgetMs: 1000, carries: {} };
    });
    const unexpected = edited('flows/tracking-click.json', 'payout-unannounced', (f) => {
      f.nodes = f.nodes.filter((n: any) => n.id !== 'payment.processed.v1');
      f.hops = f.hops.filter((h: any) => h.to !== 'payment.processed.v1');
    });
    const junit = join(dir, 'broken.xml');
    // A generous settle: the unannounced payout must arrive before the run ends, even on a busy machine.
    const r = await run(['flow', 'verify', extraHop, carry, retyped, unexpected, '--timeout', '3s', '--settle', '1500ms', '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✘ commission.calculated.v1 → payment.process.command.v1#2: missing');
    expect(r.stdout).toContain(
      '✘ commission.calculate.command.v1 → commission.calculated.v1: amount_minor no longer carries over from sale_amount_minor (cause 12345, effect 1235)',
    );
    expect(r.stdout).toContain('✘ campaign.create.command.v1 → campaign.created.v1: different type: got command.rejected.v1');
    expect(r.stdout).toContain('✘ payment.process.command.v1 → payment.processed.v1: extra hop, not in the flow');
    expect(r.stdout).toContain('4 flows: 0 passed, 4 failed');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^miso: 4 of 4 flows failed: click-two-payouts, conversion-full-commission, blank-name-accepted, payout-unannounced — /);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/tests="4" failures="4"/);
    expect(xml).toContain('<failure message="commission.calculated.v1 → payment.process.command.v1#2: missing" type="missing">');
  });

  it('a payout provider that starts failing puts the payment hop over its budget', async () => {
    const url = payment.hosts[0]!.url!;
    expect((await postJson(`${url}/provider/failures`, { fail_next: 1 })).status).toBe(200);
    const r = await run(['flow', 'verify', 'flows/tracking-click.json', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { flows: { failures: { kind: string; hop: string; message: string }[] }[] };
    const failures = out.flows[0]!.failures;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: 'latency', hop: 'payment.process.command.v1 → payment.processed.v1' });
    expect(failures[0]!.message).toMatch(/^payment\.process\.command\.v1 → payment\.processed\.v1: took \d+ ms, over its budget of 1000 ms$/);
  });

  it('bad flow files and unknown workflows: one line with a next step, non-zero exit, nothing sent', async () => {
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, 'campaign.create → campaign.created\n');
    const v2 = edited('flows/campaign-video.json', 'future', (f) => {
      f.version = 2;
    });
    const noHops = edited('flows/campaign-video.json', 'no-hops', (f) => {
      delete f.hops;
    });
    const commands = topicName(scope.cfg, 'campaign-commands');
    const before = await countMessages(client, commands);
    const cases: [string[], RegExp][] = [
      // A good file before the bad one: still nothing is sent.
      [['flows/campaign-video.json', notJson], /not-json\.json is not a flow file: not JSON/],
      [[v2], /flow format version 2 is not supported \(this miso reads version 1\)/],
      [[noHops], /no-hops\.json is not a flow file: "hops" is missing/],
      [[join(dir, 'absent.json')], /cannot read flow file .*absent\.json: no such file/],
    ];
    for (const [files, message] of cases) {
      const r = await run(['flow', 'verify', ...files]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toMatch(/ — .*miso flow record/);
    }
    expect(await countMessages(client, commands)).toBe(before);

    const r = await run(['flow', 'record', '00000000-0000-4000-8000-000000000000', '--out', join(dir, 'never.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no message of workflow 00000000-0000-4000-8000-000000000000 in the last 1h .*nothing recorded — Check the id/);
    expect(() => readFileSync(join(dir, 'never.json'))).toThrow(/ENOENT/);
  });
});
