import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import avsc from 'avsc';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher, WorkflowWatch, sendAll } from '../../../src/core/publisher.js';
import { scan, tailSources, type TailedMessage } from '../../../src/core/tail.js';
import { collectWorkflow, closeReaders } from '../../../src/core/read/workflow.js';
import { buildTrace, traceMessageOf } from '../../../src/core/trace.js';
import { newEnvelope, envelopeSchema, topicName, messageProperties, prepareBatch, type AvroDefinition } from '../../../src/core/catalog/index.js';
import { TEST_SERVICE_URL, waitUntil } from '../../support/env.js';
import { freshScope } from './scope.js';
import { SAMPLES } from '../../unit/catalog/samples.js';

let scope: Awaited<ReturnType<typeof freshScope>>;
let client: PulsarClient;
let pub: Publisher;

beforeAll(async () => {
  scope = await freshScope('tail');
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
  pub = new Publisher(client, scope.cfg);
});
afterAll(async () => {
  await pub?.close();
  await client?.close();
  await scope?.drop();
});

async function all(it: AsyncIterable<TailedMessage>): Promise<TailedMessage[]> {
  const out: TailedMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

describe('tail: scanning topics', () => {
  it('merges history across topics in publish order, filters by type/correlation/where, and stops at the end', async () => {
    const cmd = await pub.sendCommand('tracking.create_event', { event_type: 'click', campaign_id: 'c1', video_id: 'v1', visitor_id: 'x' });
    await pub.publish(newEnvelope('tracking_event.created.v1', { ...SAMPLES['tracking_event.created.v1'], event_type: 'click' }, { causedBy: cmd.envelope }));
    await pub.publish(newEnvelope('commission.calculated.v1', SAMPLES['commission.calculated.v1'], { causedBy: cmd.envelope }));
    await pub.publish(newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1']));

    const { sources } = tailSources(scope.cfg, { commands: true });
    const history = await all(scan(client, sources, { start: 'earliest', follow: false }));
    const types = history.map((m) => m.envelope!.type);
    expect(types).toEqual(['tracking.create_event.command.v1', 'tracking_event.created.v1', 'commission.calculated.v1', 'campaign.created.v1']);
    expect(history.map((m) => m.publishTime)).toEqual([...history.map((m) => m.publishTime)].sort((a, b) => a - b));

    const wf = await all(scan(client, sources, { start: 'earliest', follow: false, filter: { correlationIds: new Set([cmd.correlationId]) } }));
    expect(wf.map((m) => m.envelope!.type)).toEqual(types.slice(0, 3));
    const byType = await all(
      scan(client, tailSources(scope.cfg, { targets: ['commission.calculated'] }).sources, {
        start: 'earliest',
        follow: false,
        filter: { types: new Set(['commission.calculated.v1']) },
      }),
    );
    expect(byType).toHaveLength(1);
    const where = await all(
      scan(client, sources, { start: 'earliest', follow: false, filter: { where: [{ path: ['event_type'], value: 'click', text: '' }] } }),
    );
    expect(where.map((m) => m.envelope!.type)).toEqual(['tracking.create_event.command.v1', 'tracking_event.created.v1']);
  });

  it('decodes each message with the schema version it was written with, and shows undecodable bytes without stopping', async () => {
    const topic = topicName(scope.cfg, 'campaign-events');
    // An older writer: campaign.created without budget_minor and currency (both have defaults now).
    const old = structuredClone(envelopeSchema('campaign-events'));
    const created = (old.fields![5]!.type as AvroDefinition[])[0]!;
    created.fields = created.fields!.filter((f) => f.name !== 'budget_minor' && f.name !== 'currency');
    const oldType = avsc.Type.forSchema(old as avsc.Schema);
    const oldProducer = await client.createProducer({ topic, schema: { type: 'AVRO', name: 'campaign-events', schema: JSON.stringify(old) } });
    const oldEnv = {
      id: '7b0e4a3c-2d1f-4e5a-8b9c-0d1e2f3a4b5c',
      type: 'campaign.created.v1' as const,
      timestamp: Date.now(),
      correlation_id: 'wf-old',
      causation_id: null,
    };
    await oldProducer.send({
      payload: oldType.toBuffer({
        ...oldEnv,
        payload: { 'miso.campaign.CampaignCreated': { campaign_id: 'c-old', user_id: 'u', name: 'Old', description: null } },
      }),
      properties: messageProperties(oldEnv),
    });
    await oldProducer.close();
    const garbage = await client.createProducer({ topic });
    await garbage.send({ payload: Buffer.from([0xff, 0xfe, 0x01]), properties: { type: 'campaign.created.v1' } });
    await garbage.close();
    const fresh = await pub.publish(newEnvelope('campaign.created.v1', { ...SAMPLES['campaign.created.v1'], currency: 'EUR' }));

    const got = await all(
      scan(client, tailSources(scope.cfg, { targets: ['campaign-events'] }).sources, { start: { publishTime: Date.now() - 60_000 }, follow: false }),
    );
    const oldOne = got.find((m) => m.envelope?.id === oldEnv.id)!;
    expect(oldOne.error).toBeUndefined();
    expect(oldOne.envelope!.payload).toEqual({ campaign_id: 'c-old', user_id: 'u', name: 'Old', description: null, budget_minor: null, currency: 'USD' });
    const bad = got.find((m) => m.error)!;
    expect(bad.error).toMatch(/cannot decode a message on campaign-events/);
    expect(bad.envelope).toBeUndefined();
    expect(got[got.length - 1]!.envelope!.id).toBe(fresh.id);
  });

  it('follows live messages until aborted', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    let caughtUp = false;
    const done = (async () => {
      for await (const m of scan(client, tailSources(scope.cfg, { targets: ['payment-events'] }).sources, {
        start: 'latest',
        follow: true,
        signal: abort.signal,
        onCaughtUp: () => {
          caughtUp = true;
        },
      })) {
        seen.push(m.envelope!.id);
        if (seen.length === 2) abort.abort();
      }
    })();
    await waitUntil(() => caughtUp, { what: 'readers ready' });
    const a = await pub.publish(newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1']));
    const b = await pub.publish(newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1']));
    await done;
    expect(seen).toEqual([a.id, b.id]);
  });
});

describe('trace: one workflow out of many', () => {
  it('collects a workflow from command, event and dead-letter topics by correlation property, within the window', async () => {
    const noise = prepareBatch({
      type: 'tracking.create_event.command.v1',
      fieldTokens: ['--event-type', 'view', '--campaign-id', 'c', '--video-id', 'v', '--visitor-id', 'x'],
      count: 50,
    });
    await sendAll(pub, noise.messages);
    const cmd = await pub.sendCommand('payment.process', SAMPLES['payment.process.command.v1']);
    // A consumer gave up on the command: the dead-letter copy, as the client republishes it.
    const dlq = await client.createProducer({ topic: topicName(scope.cfg, 'payment-commands-payment-service-DLQ') });
    const { encode } = await import('../../../src/core/catalog/index.js');
    await dlq.send({
      payload: encode('payment-commands', cmd.envelope),
      properties: { ...messageProperties(cmd.envelope), REAL_TOPIC: topicName(scope.cfg, 'payment-commands'), ORIGIN_MESSAGE_ID: cmd.messageId },
    });
    await dlq.close();
    await pub.publish(
      newEnvelope('command.rejected.v1', { ...SAMPLES['command.rejected.v1'], command_id: cmd.id, command_type: cmd.type }, { causedBy: cmd.envelope }),
      { publisher: 'payment' },
    );

    const scanResult = await collectWorkflow(client, scope.cfg, cmd.correlationId, { fromTime: Date.now() - 60_000 });
    await closeReaders(scanResult.readers);
    expect(scanResult.scanned).toBeGreaterThanOrEqual(53);
    const trace = buildTrace(
      cmd.correlationId,
      scanResult.messages.map((m) =>
        traceMessageOf(m.envelope!, { topic: m.topic, publishTime: m.publishTime, ...(m.deadLetter ? { deadLetter: true } : {}) }),
      ),
    );
    expect(trace.messageCount).toBe(2);
    expect(trace.roots[0]!.message.id).toBe(cmd.id);
    expect(trace.roots[0]!.deadLettered).toBe(true);
    expect(trace.roots[0]!.rejected).toBe(true);
    expect(trace.roots[0]!.children[0]!.kind).toBe('rejection');

    const outside = await collectWorkflow(client, scope.cfg, cmd.correlationId, { fromTime: Date.now() + 1000 });
    await closeReaders(outside.readers);
    expect(outside.messages).toEqual([]);
  });
});

describe('send --wait: watching a workflow', () => {
  it('collects the events a command causes and completes when every command is answered', async () => {
    const watch = await WorkflowWatch.open(client, scope.cfg);
    const [sent] = await sendAll(pub, prepareBatch({ type: 'campaign.create.command.v1', fieldTokens: ['--name', 'Launch', '--user-id', 'u1'] }).messages);
    // Stand-in for the campaign service: answer the command with its event.
    setTimeout(() => {
      void pub.publish(newEnvelope('campaign.created.v1', { campaign_id: 'c', user_id: 'u1', name: 'Launch' }, { causedBy: sent!.envelope }));
    }, 50);
    const seen: string[] = [];
    const r = await watch.collect([sent!], { timeoutMs: 10_000, onMessage: (m) => seen.push(m.envelope!.type) });
    await watch.close();
    expect(r.complete).toBe(true);
    expect(seen).toEqual(['campaign.create.command.v1', 'campaign.created.v1']);
    const trace = r.traces[0]!;
    expect(trace.roots[0]!.children[0]!.message.type).toBe('campaign.created.v1');
    expect(trace.roots[0]!.children[0]!.latencyMs).toBeGreaterThanOrEqual(40);
  });

  it('is incomplete after the timeout when nothing answers', async () => {
    const watch = await WorkflowWatch.open(client, scope.cfg);
    const sent = await sendAll(pub, prepareBatch({ type: 'campaign.create.command.v1', fieldTokens: ['--name', 'Nobody', '--user-id', 'u1'] }).messages);
    const r = await watch.collect(sent, { timeoutMs: 1500 });
    await watch.close();
    expect(r.complete).toBe(false);
    expect(r.messages.map((m) => m.envelope!.id)).toEqual([sent[0]!.id]);
  });
});
