import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher, type Published } from '../../../src/core/publisher.js';
import { schemasDir } from '../../../src/core/catalog/index.js';
import type { RunningServices } from '../../../src/services/runner.js';
import type { PulsarClient } from '../../../src/pulsar/index.js';
import { miso } from '../../support/cli.js';
import { freshScope, readUntil, testClient, startFourServices, campaignWithVideo } from './support.js';

/**
 * The case plain `schemas check` cannot catch: a candidate that drops the `click` symbol of
 * TrackingEventType and gives the enum a default. By the Avro rules (and the broker's
 * BACKWARD_TRANSITIVE check) that is compatible: an unknown symbol reads as the default. On
 * the topics, every stored click would be read as a view — `--against-traffic` says so, with
 * the field and a message id, and exits non-zero.
 */
describe('schemas check --against-traffic (services running, real broker)', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let pub: Publisher;
  let running: RunningServices;
  const dir = mkdtempSync(join(tmpdir(), 'miso-schemas-traffic-'));
  const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
  const cli = (...args: string[]) => miso([...args, ...scope.flags], { env, timeoutMs: 60_000 });
  let click: Published;

  /** A copy of schemas/ with one file edited. */
  function candidate(name: string, file: string, edit: (schema: any) => void): string {
    const out = join(dir, name);
    cpSync(schemasDir(), out, { recursive: true });
    const path = join(out, file);
    const schema = JSON.parse(readFileSync(path, 'utf8'));
    edit(schema);
    writeFileSync(path, JSON.stringify(schema, null, 2));
    return out;
  }

  beforeAll(async () => {
    scope = await freshScope('schemas-traffic');
    client = testClient();
    pub = new Publisher(client, scope.cfg);
    running = await startFourServices(scope, client);
    const { campaignId, videoId } = await campaignWithVideo(pub, client, scope.cfg, 'Traffic');
    await pub.sendCommand('tracking.create_event', { event_type: 'view', campaign_id: campaignId, video_id: videoId, visitor_id: 'v1', currency: 'EUR' });
    click = await pub.sendCommand('tracking.create_event', {
      event_type: 'click',
      campaign_id: campaignId,
      video_id: videoId,
      visitor_id: 'v2',
      currency: 'EUR',
    });
    await readUntil(client, scope.cfg, 'tracking-events', (s) => s.some((m) => m.env.correlation_id === click.correlationId));
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await pub?.close();
    await client?.close();
    await scope?.drop();
  });

  it('the schemas of the day read every stored message as written', async () => {
    const r = await cli('schemas', 'check', '--against-traffic', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    const tracking = report.topics.find((t: any) => t.topic === 'tracking-commands');
    expect(tracking).toMatchObject({ messages: 2, failed: 0 });
    expect(tracking.versions).toEqual([expect.objectContaining({ source: 'topic', version: '0', messages: 2, decoded: 2 })]);
    expect(tracking.versions[0].producers).toHaveLength(1);
  });

  it('a compatible enum change that turns stored clicks into views: plain check passes, --against-traffic fails', async () => {
    const cand = candidate('drop-click', 'types/miso.tracking.TrackingEventType.avsc', (s) => {
      s.symbols = ['view', 'conversion'];
      s.default = 'view';
    });
    // Schema against schema (local Avro rules and the broker's own verdict): compatible.
    const plain = await cli('schemas', 'check', '--dir', cand, '--json');
    expect(plain.code, plain.stderr).toBe(0);
    const plainReport = JSON.parse(plain.stdout);
    const plainTracking = plainReport.topics.find((t: any) => t.topic === 'tracking-commands');
    expect(plainTracking).toMatchObject({ status: 'compatible', problems: [] });
    expect(plainTracking.broker.compatible).toBe(true);

    // Against the stored messages: the click command (and the events it caused) would read as views.
    const traffic = await cli('schemas', 'check', '--dir', cand, '--against-traffic', '--json');
    expect(traffic.code).toBe(1);
    const report = JSON.parse(traffic.stdout);
    expect(report.ok).toBe(false);
    const commands = report.topics.find((t: any) => t.topic === 'tracking-commands');
    expect(commands).toMatchObject({ messages: 2, failed: 1 });
    const clickMessageId = commands.versions[0].firstFailure.messageId;
    expect(commands.versions[0].firstFailure).toMatchObject({ field: 'payload.event_type', reason: '"click" would be read as "view"' });
    expect(clickMessageId).toBe(click.messageId);
    expect(report.topics.find((t: any) => t.topic === 'tracking-events')).toMatchObject({ failed: 1 });
    expect(report.topics.find((t: any) => t.topic === 'campaign-events')).toMatchObject({ failed: 0 });

    const human = await cli('schemas', 'check', '--dir', cand, '--against-traffic', '--topic', 'tracking-commands');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('tracking-commands    1 of 2 would break');
    expect(human.stdout).toContain(`first failure payload.event_type "click" would be read as "view" (e.g. message ${click.messageId})`);
    expect(human.stderr).toMatch(/stored messages on tracking-commands would not read as written/);
  });

  it('a change the stored messages survive (a new optional field) passes both', async () => {
    const cand = candidate('add-field', 'messages/tracking.create_event.command.v1.avsc', (s) => {
      s.fields.push({ name: 'referrer', type: ['null', 'string'], default: null, doc: 'Where the visitor came from.' });
    });
    expect((await cli('schemas', 'check', '--dir', cand)).code).toBe(0);
    const r = await cli('schemas', 'check', '--dir', cand, '--against-traffic', '--topic', 'tracking-commands', '--topic', 'tracking-events');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/All \d+ stored message\(s\) read as written/);
  });
});
