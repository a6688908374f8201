import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '../../../src/core/publisher.js';
import { topicName } from '../../../src/core/topics.js';
import type { RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { miso } from '../../support/cli.js';
import { countMessages, freshScope, readUntil, testClient, startFourServices, campaignWithVideo } from './support.js';

/**
 * `miso send --from`: a conversion taken off the tracking topic by the reference `miso tail`
 * prints, sent again with a bigger sale; the four services run, and the trace of the new
 * workflow shows the commission computed from the override.
 */
describe('send --from … --set (four services, real broker)', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let running: RunningServices;
  const dir = mkdtempSync(join(tmpdir(), 'miso-send-from-'));
  const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
  const cli = (...args: string[]) => miso([...args, ...scope.flags], { env, timeoutMs: 60_000 });
  let conversionCorrelation = '';

  beforeAll(async () => {
    scope = await freshScope('send-from');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    running = await startFourServices(scope, client);
    const { campaignId, videoId } = await campaignWithVideo(pub, client, scope.cfg, 'From');
    const conversion = await pub.sendCommand('tracking.create_event', {
      event_type: 'conversion',
      campaign_id: campaignId,
      video_id: videoId,
      visitor_id: 'v1',
      sale_amount_minor: 1999,
      currency: 'EUR',
    });
    conversionCorrelation = conversion.correlationId;
    await readUntil(client, scope.cfg, 'commission-events', (s) => s.some((m) => m.env.correlation_id === conversion.correlationId));
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('tail prints the reference; send --from --set sends a changed copy whose effect is traced', async () => {
    const tail = await cli('tail', 'tracking-commands', '--no-follow');
    expect(tail.code).toBe(0);
    const line = tail.stdout.split('\n').find((l) => l.includes('tracking.create_event'))!;
    const ref = /--from (\S+)$/.exec(line)?.[1];
    expect(ref).toMatch(/^[0-9a-f-]{36}$/);

    const trackingCommands = topicName(scope.cfg, 'tracking-commands');
    const before = await countMessages(client, trackingCommands);
    // Bad input: one line, a next step, exit 2, nothing sent.
    for (const [args, pattern] of [
      [['--set', 'sale_amount=5000'], /--set sale_amount: tracking.create_event.command.v1 has no field sale_amount — did you mean sale_amount_minor\?/],
      [['--set', 'sale_amount_minor=lots'], /--set sale_amount_minor: must be .*long.*, got "lots"/],
      [['--set', 'sale_amount_minor'], /is not field=value/],
    ] as const) {
      const bad = await cli('send', '--from', ref!, ...args);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(pattern);
      expect(bad.stderr).toMatch(/Nothing was sent|For example/);
    }
    const missing = await cli('send', '--from', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no message with id 00000000-0000-4000-8000-000000000000/);
    expect(await countMessages(client, trackingCommands)).toBe(before);

    const sent = await cli('send', '--from', ref!, '--set', 'sale_amount_minor=5000', '--wait', '--json');
    expect(sent.code, sent.stderr).toBe(0);
    const out = JSON.parse(sent.stdout);
    expect(out.id).not.toBe(ref);
    expect(out.correlation_id).not.toBe(conversionCorrelation);
    expect(out.complete).toBe(true);

    // The trace of the new workflow: the command carries the override, the commission follows from it.
    const trace = await cli('trace', out.correlation_id, '--json');
    expect(trace.code, trace.stderr).toBe(0);
    const root = JSON.parse(trace.stdout).roots[0];
    expect(root).toMatchObject({ type: 'tracking.create_event.command.v1', id: out.id, payload: { sale_amount_minor: 5000, visitor_id: 'v1' } });
    const flat = (n: any): any[] => [n, ...n.children.flatMap(flat)];
    expect(flat(root).map((n) => n.type)).toEqual(
      expect.arrayContaining(['tracking_event.created.v1', 'commission.calculate.command.v1', 'commission.calculated.v1']),
    );
    const commission = await readUntil(client, scope.cfg, 'commission-events', (s) => s.some((m) => m.env.correlation_id === out.correlation_id));
    const calc = commission.find((m) => m.env.correlation_id === out.correlation_id)!.env;
    expect(calc).toMatchObject({ type: 'commission.calculated.v1', payload: { amount_minor: 500 } });
    const original = commission.find((m) => m.env.correlation_id === conversionCorrelation)!.env;
    expect((original.payload as { amount_minor: number }).amount_minor).toBe(200);
    // Fresh ids: a new tracking event, not a duplicate of the captured one.
    expect((calc.payload as { tracking_event_id: string }).tracking_event_id).not.toBe((original.payload as { tracking_event_id: string }).tracking_event_id);

    // A correlation id and a type find the same message; --same-correlation joins its workflow.
    const again = await cli('send', 'tracking.create_event', '--from', conversionCorrelation, '--same-correlation', '--set', 'visitor_id=v2', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).correlation_id).toBe(conversionCorrelation);

    // A Pulsar message id (as `tail --json` shows it), with or without its topic.
    const first = JSON.parse((await cli('tail', 'tracking-commands', '--no-follow', '--json')).stdout.split('\n')[0]!);
    for (const from of [first.meta.message_id, `tracking-commands@${first.meta.message_id}`]) {
      const byMessageId = await cli('send', '--from', from, '--set', 'visitor_id=v3', '--json');
      expect(byMessageId.code, byMessageId.stderr).toBe(0);
      expect(JSON.parse(byMessageId.stdout).sent[0].type).toBe(first.type);
    }
    const noSuch = await cli('send', '--from', 'tracking-commands@999999:0');
    expect(noSuch.code).toBe(2);
    expect(noSuch.stderr).toMatch(/no message tracking-commands@999999:0/);
  }, 120_000);
});
