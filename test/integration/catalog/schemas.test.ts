import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSchemas, pushSchemas, IncompatibleSchemasError } from '../../../src/core/schemas.js';
import { schemasDir, TOPICS, topicName } from '../../../src/core/catalog/index.js';
import { freshScope } from './scope.js';

let scope: Awaited<ReturnType<typeof freshScope>>;
const dirs: string[] = [];

/** A copy of schemas/ with one file changed. */
function variant(file: string, change: (json: any) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'miso-schemas-'));
  dirs.push(dir);
  cpSync(schemasDir(), dir, { recursive: true });
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  change(json);
  writeFileSync(path, JSON.stringify(json, null, 2));
  return dir;
}

beforeAll(async () => {
  scope = await freshScope('schemas');
});
afterAll(async () => {
  await scope?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('schemas check / push against the broker', () => {
  it('reports nothing registered, pushes every envelope, then reports up to date', async () => {
    const before = await checkSchemas(scope.admin, scope.cfg);
    expect(before.ok).toBe(true);
    expect(before.topics.map((t) => t.status)).toEqual(TOPICS.map(() => 'not-registered'));

    const { pushed } = await pushSchemas(scope.admin, scope.cfg);
    expect(pushed.map((p) => [p.topic, p.action, p.version])).toEqual(TOPICS.map((t) => [t, 'registered', 0]));
    const onBroker = await scope.admin.getSchema(topicName(scope.cfg, 'campaign-events'));
    expect(onBroker?.type).toBe('AVRO');
    expect(JSON.parse(onBroker!.data).name).toBe('CampaignEventsEnvelope');

    const after = await checkSchemas(scope.admin, scope.cfg);
    expect(after.topics.map((t) => t.status)).toEqual(TOPICS.map(() => 'up-to-date'));
    const again = await pushSchemas(scope.admin, scope.cfg);
    expect(again.pushed.every((p) => p.action === 'unchanged' && p.version === 0)).toBe(true);
  });

  it('accepts a new optional field with a default (the broker registers a new version)', async () => {
    const dir = variant('messages/video.added.v1.avsc', (s) =>
      s.fields.push({ name: 'duration_seconds', type: ['null', 'long'], default: null, doc: 'Length of the video.' }),
    );
    const report = await checkSchemas(scope.admin, scope.cfg, { dir });
    expect(report.ok).toBe(true);
    expect(report.topics.find((t) => t.topic === 'campaign-events')!.status).toBe('compatible');
    expect(report.topics.find((t) => t.topic === 'campaign-events')!.broker?.compatible).toBe(true);
    const { pushed } = await pushSchemas(scope.admin, scope.cfg, { dir });
    expect(pushed.find((p) => p.topic === 'campaign-events')).toMatchObject({ action: 'registered', version: 1 });
    expect(pushed.filter((p) => p.action === 'registered')).toHaveLength(1);
  });

  it('accepts a new message type at the end of a topic union', async () => {
    const dir = variant('envelopes/payment-commands.avsc', (s) =>
      s.fields[5].type.push({
        type: 'record',
        name: 'CancelPayment',
        namespace: 'miso.payment',
        doc: 'Cancel a payment.',
        fields: [{ name: 'payment_id', type: 'string', doc: 'Payment to cancel.' }],
      }),
    );
    const { pushed } = await pushSchemas(scope.admin, scope.cfg, { dir });
    expect(pushed.find((p) => p.topic === 'payment-commands')).toMatchObject({ action: 'registered', version: 1 });
  });

  it('refuses a breaking change, names the field, and registers nothing anywhere', async () => {
    // Both a compatible change (tracking) and a breaking one (campaign): all or nothing.
    const dir = variant('messages/tracking.create_event.command.v1.avsc', (s) =>
      s.fields.push({ name: 'referrer', type: ['null', 'string'], default: null, doc: 'x' }),
    );
    const second = join(dir, 'messages/campaign.create.command.v1.avsc');
    const json = JSON.parse(readFileSync(second, 'utf8'));
    json.fields.push({ name: 'region', type: 'string', doc: 'Sales region.' });
    writeFileSync(second, JSON.stringify(json));

    const report = await checkSchemas(scope.admin, scope.cfg, { dir });
    expect(report.ok).toBe(false);
    const bad = report.topics.find((t) => t.topic === 'campaign-commands')!;
    expect(bad.status).toBe('incompatible');
    expect(bad.problems).toEqual([{ version: 0, path: 'payload[CreateCampaign].region', reason: expect.stringMatching(/added without a default/) }]);
    expect(bad.broker?.compatible).toBe(false);

    const versionsBefore = await Promise.all(TOPICS.map(async (t) => (await scope.admin.getSchemas(topicName(scope.cfg, t))).length));
    await expect(pushSchemas(scope.admin, scope.cfg, { dir })).rejects.toThrow(IncompatibleSchemasError);
    await expect(pushSchemas(scope.admin, scope.cfg, { dir })).rejects.toThrow(
      /refused for campaign-commands, payment-commands: payload\[CreateCampaign\]\.region was added without a default/,
    );
    const versionsAfter = await Promise.all(TOPICS.map(async (t) => (await scope.admin.getSchemas(topicName(scope.cfg, t))).length));
    expect(versionsAfter).toEqual(versionsBefore);
  });

  it('the broker itself refuses the breaking schema (BACKWARD_TRANSITIVE is enforced server-side)', async () => {
    const dir = variant('messages/payment.process.command.v1.avsc', (s) => {
      s.fields.find((f: any) => f.name === 'amount_minor').type = 'string';
    });
    const report = await checkSchemas(scope.admin, scope.cfg, { dir });
    const t = report.topics.find((x) => x.topic === 'payment-commands')!;
    expect(t.broker?.compatible).toBe(false);
    expect(t.problems.map((p) => [p.version, p.path, p.reason])).toEqual([
      [0, 'payload[ProcessPayment].amount_minor', 'changed type from long to string'],
      [1, 'payload[ProcessPayment].amount_minor', 'changed type from long to string'],
      // v1 (the test above) added CancelPayment; this dir does not have it.
      [1, 'payload', 'CancelPayment was removed from the union; messages written with it can no longer be read'],
    ]);
  });
});
