/**
 * Hostile messages on every command topic while the four services run as `miso run`
 * processes (on the shared test broker, in a tenant of this file's own): random bytes,
 * truncated Avro, a schema version the broker never issued, a newer schema version with a
 * message type this catalog does not know, an envelope whose type names another payload,
 * another topic's envelope, and a well-formed command that breaks a domain rule.
 *
 * Every one ends as a dead letter that says why, or as a rejection event; nothing stays
 * unacknowledged; the services stay healthy and still carry a normal workflow to its payout.
 * Report: test-output/hostile-services.{json,md}.
 */
import { randomUUID } from 'node:crypto';
import avsc from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ResolvedConfig } from '../../src/config/index.js';
import { encode, envelopeAvroType, envelopeSchema, newEnvelope, topicSchemaInfo, type MessageType } from '../../src/core/catalog/index.js';
import { initCluster } from '../../src/core/init.js';
import { Publisher } from '../../src/core/publisher.js';
import { COMMAND_TOPICS, topicName, type CommandTopic } from '../../src/core/topics.js';
import { AdminClient } from '../../src/pulsar/admin.js';
import { PulsarClient, type Producer } from '../../src/pulsar/index.js';
import { eventually, TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../support/env.js';
import { deadLetters, readTopic, subscriptionBacklogs } from '../faults/books.js';
import { ServiceProcess, type Sandbox } from '../faults/cluster.js';
import { createSandbox } from '../faults/cluster.js';
import { mdTable, writeReport } from './report.js';
import { Rng } from './rng.js';

const SERVICES = ['campaign', 'tracking', 'commission', 'payment'] as const;

/** A valid command for each topic, as the sender would build it. */
function validCommand(topic: CommandTopic, tag: string): { type: MessageType; payload: Record<string, unknown> } {
  switch (topic) {
    case 'campaign-commands':
      return { type: 'campaign.create.command.v1', payload: { campaign_id: `c-${tag}`, user_id: 'u', name: 'n', currency: 'USD' } };
    case 'tracking-commands':
      return {
        type: 'tracking.create_event.command.v1',
        payload: {
          tracking_event_id: `t-${tag}`,
          event_type: 'view',
          campaign_id: 'nope',
          video_id: 'nope',
          visitor_id: 'v',
          sale_amount_minor: null,
          currency: 'USD',
        },
      };
    case 'commission-commands':
      return {
        type: 'commission.calculate.command.v1',
        payload: {
          commission_id: `k-${tag}`,
          tracking_event_id: `t-${tag}`,
          campaign_id: 'c',
          video_id: 'v',
          user_id: 'u',
          event_type: 'view',
          sale_amount_minor: null,
          currency: 'USD',
        },
      };
    case 'payment-commands':
      return {
        type: 'payment.process.command.v1',
        payload: { payment_id: `p-${tag}`, commission_id: `k-${tag}`, user_id: 'u', amount_minor: 10, currency: 'USD', idempotency_key: `k-${tag}` },
      };
  }
}

/** The same command with a field that breaks a domain rule (Avro-valid, so only the service can refuse it). */
function ruleBreaking(topic: CommandTopic, tag: string): { type: MessageType; payload: Record<string, unknown> } {
  const c = validCommand(topic, tag);
  switch (topic) {
    case 'campaign-commands':
      return { ...c, payload: { ...c.payload, user_id: '   ' } };
    case 'tracking-commands':
      return { ...c, payload: { ...c.payload, currency: 'dollars' } };
    case 'commission-commands':
      return { ...c, payload: { ...c.payload, currency: 'x' } };
    case 'payment-commands':
      return { ...c, payload: { ...c.payload, amount_minor: -5 } };
  }
}

interface Sent {
  topic: CommandTopic;
  kind: string;
  /** What must become of it. */
  expect: 'dead letter' | 'rejection';
  /** Envelope id, when the bytes carry one the service can read. */
  id?: string;
  messageId: string;
}

describe('hostile messages on the command topics of running services', () => {
  let sb: Sandbox;
  let cfg: ResolvedConfig;
  let client: PulsarClient;
  let admin: AdminClient;
  const procs: ServiceProcess[] = [];
  const sent: Sent[] = [];
  const rng = new Rng(99);

  beforeAll(async () => {
    const tenant = uniqueName('hostile');
    sb = await createSandbox('hostile', { tenant, namespace: 'ns', serviceUrl: TEST_SERVICE_URL, adminUrl: TEST_ADMIN_URL });
    cfg = resolveConfig({ serviceUrl: TEST_SERVICE_URL, adminUrl: TEST_ADMIN_URL, tenant, namespace: 'ns' });
    admin = new AdminClient(cfg);
    const report = await initCluster(cfg, { admin });
    expect(report.ok).toBe(true);
    for (const s of SERVICES) {
      const p = new ServiceProcess(s, sb, () => ['--data-dir', sb.dataDir, '--nack-delay-ms', '200']);
      procs.push(p);
    }
    await Promise.all(procs.map((p) => p.start(90_000)));
    client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) await p.stop().catch(() => {});
    await client?.close();
    try {
      await admin?.deleteTenant(cfg.tenant, { recursive: true });
    } catch {
      /* a leftover test tenant harms nothing */
    }
    sb?.remove();
  });

  it('sends 40 hostile messages (10 kinds × 4 command topics) and waits until each is accounted for', async () => {
    const bytesProducers = new Map<string, Producer>();
    const schemaProducers = new Map<string, Producer>();
    const raw = async (topic: CommandTopic) => {
      let p = bytesProducers.get(topic);
      if (!p) bytesProducers.set(topic, (p = await client.createProducer({ topic: topicName(cfg, topic) })));
      return p;
    };
    const typed = async (topic: CommandTopic) => {
      let p = schemaProducers.get(topic);
      if (!p) schemaProducers.set(topic, (p = await client.createProducer({ topic: topicName(cfg, topic), schema: topicSchemaInfo(topic) })));
      return p;
    };
    const record = (topic: CommandTopic, kind: string, expectWhat: Sent['expect'], messageId: { toString(): string }, id?: string) => {
      sent.push({ topic, kind, expect: expectWhat, messageId: messageId.toString(), ...(id ? { id } : {}) });
    };

    for (const topic of COMMAND_TOPICS) {
      const other = COMMAND_TOPICS[(COMMAND_TOPICS.indexOf(topic) + 1) % COMMAND_TOPICS.length]!;
      // Random bytes, no schema.
      for (let i = 0; i < 3; i++) record(topic, 'random bytes', 'dead letter', await (await raw(topic)).send({ payload: rng.bytes(rng.range(1, 64)) }));
      // Truncated Avro: a valid envelope cut short.
      const good = validCommand(topic, randomUUID().slice(0, 8));
      const bytes = encode(topic, newEnvelope(good.type, good.payload as never));
      for (const cut of [Math.floor(bytes.length / 3), bytes.length - 1]) {
        record(topic, 'truncated Avro', 'dead letter', await (await raw(topic)).send({ payload: bytes.subarray(0, cut) }));
      }
      // Well-formed Avro stamped with a schema version the broker never issued.
      {
        const p = await typed(topic);
        const real = (p as unknown as { version: Buffer | undefined }).version;
        (p as unknown as { version: Buffer | undefined }).version = Buffer.from('00000000000003e7', 'hex');
        try {
          const c = validCommand(topic, randomUUID().slice(0, 8));
          const env = newEnvelope(c.type, c.payload as never);
          record(topic, 'unknown schema version (never issued)', 'dead letter', await p.send({ payload: encode(topic, env) }), env.id);
        } finally {
          (p as unknown as { version: Buffer | undefined }).version = real;
        }
      }
      // A newer schema version (registered by a newer producer) carrying a type this catalog lacks.
      {
        const schema = envelopeSchema(topic) as { fields: { name: string; type: unknown }[] };
        const payloadField = schema.fields.find((f) => f.name === 'payload')!;
        const future = { type: 'record', name: 'FutureCommand', namespace: 'miso.future', fields: [{ name: 'note', type: 'string' }] };
        payloadField.type = [...(payloadField.type as unknown[]), future];
        const text = JSON.stringify(schema);
        const p = await client.createProducer({ topic: topicName(cfg, topic), schema: { type: 'AVRO', name: topic, schema: text, properties: {} } });
        const t = avsc.Type.forSchema(schema as avsc.Schema, { wrapUnions: 'auto' });
        const id = randomUUID();
        const payload = t.toBuffer({
          id,
          type: 'future.command.v1',
          timestamp: Date.now(),
          correlation_id: id,
          causation_id: null,
          payload: { 'miso.future.FutureCommand': { note: 'from the future' } },
        });
        record(topic, 'newer schema version, unknown type', 'dead letter', await p.send({ payload }), id);
        expect(p.schemaVersion?.toString('hex')).not.toBe((await typed(topic)).schemaVersion?.toString('hex'));
        await p.close();
      }
      // Valid Avro for this topic whose type names a payload it does not carry.
      {
        const c = validCommand(topic, randomUUID().slice(0, 8));
        const env = newEnvelope(c.type, c.payload as never);
        const t = envelopeAvroType(topic);
        const obj = t.fromBuffer(encode(topic, env)) as Record<string, unknown>;
        obj.type = validCommand(other, 'x').type;
        record(topic, 'envelope type ≠ payload', 'dead letter', await (await typed(topic)).send({ payload: t.toBuffer(obj) }), env.id);
      }
      // Another topic's envelope (valid there) sent here as plain bytes.
      {
        const c = validCommand(other, randomUUID().slice(0, 8));
        record(
          topic,
          `an envelope of ${other}`,
          'dead letter',
          await (await raw(topic)).send({ payload: encode(other, newEnvelope(c.type, c.payload as never)) }),
        );
      }
      // Well-formed, but breaks a domain rule: answered with a rejection event.
      {
        const c = ruleBreaking(topic, randomUUID().slice(0, 8));
        const env = newEnvelope(c.type, c.payload as never);
        record(
          topic,
          'breaks a domain rule',
          'rejection',
          await (await typed(topic)).send({ payload: encode(topic, env), properties: { type: env.type, id: env.id, correlation_id: env.correlation_id } }),
          env.id,
        );
      }
    }
    for (const p of [...bytesProducers.values(), ...schemaProducers.values()]) await p.close();

    // The forged stamp really is on the wire: read those messages back and look.
    for (const s of sent.filter((x) => x.kind.startsWith('unknown schema version'))) {
      const { raw: onTopic } = await readTopic(client, topicName(cfg, s.topic));
      const m = onTopic.find((x) => x.messageId.toString() === s.messageId);
      expect(m?.schemaVersion?.toString('hex'), `${s.topic} ${s.messageId}`).toBe('00000000000003e7');
    }

    // Wait until each message is accounted for.
    const rejectedIds = new Set(sent.filter((s) => s.expect === 'rejection').map((s) => s.id!));
    let dl: Awaited<ReturnType<typeof deadLetters>> = [];
    let rejections: string[] = [];
    const handled = new Map<string, string>();
    const sentIds = new Set(sent.flatMap((x) => (x.id ? [x.id] : [])));
    // Not a failure by itself when time runs out: what is missing shows in the report.
    await eventually(
      async () => {
        dl = await deadLetters(client, cfg);
        rejections = [];
        for (const s of SERVICES) {
          const ev = await readTopic(client, topicName(cfg, `${s}-events`), `${s}-events`);
          for (const e of ev.events) {
            if (e.type === 'command.rejected.v1' && rejectedIds.has(e.correlationId)) rejections.push(e.correlationId);
            else if (sentIds.has(e.correlationId)) handled.set(e.correlationId, e.type);
          }
        }
        return dl.length + rejections.length + handled.size >= sent.length;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const backlogs = await subscriptionBacklogs(admin, cfg);

    // Match each dead letter to what was sent, by its origin message id.
    const byOrigin = new Map(dl.map((d) => [d.properties.ORIGIN_MESSAGE_ID ?? '', d]));
    const rows = sent.map((s) => {
      const d = byOrigin.get(s.messageId);
      const outcome = d
        ? `dead letter: ${d.reason || '(no reason)'}`
        : s.id && rejections.includes(s.id)
          ? 'rejection event'
          : s.id && handled.has(s.id)
            ? `handled as a valid command (${handled.get(s.id)})`
            : 'MISSING';
      return { ...s, outcome };
    });
    const healthy = await Promise.all(procs.map(async (p) => ({ service: p.service, alive: p.alive, health: (await p.health())?.status })));

    // A normal workflow still goes through afterwards.
    const pub = new Publisher(client, cfg);
    const created = await pub.sendCommand('campaign.create', { campaign_id: 'after', user_id: 'owner', name: 'After the storm' });
    await pub.sendCommand(
      'campaign.add_video',
      { campaign_id: 'after', video_id: 'vid', url: 'https://videos.example/after', title: 'After' },
      { correlationId: created.correlationId },
    );
    const tracking = procs.find((p) => p.service === 'tracking')!;
    await eventually(async () => ((await tracking.health())?.stats as { videos?: number } | undefined)?.videos === 1, { timeoutMs: 20_000, intervalMs: 100 });
    const wf = await pub.sendCommand('tracking.create_event', { event_type: 'click', campaign_id: 'after', video_id: 'vid', visitor_id: 'v1' });
    const paid = await eventually(
      async () =>
        (await readTopic(client, topicName(cfg, 'payment-events'), 'payment-events')).events.some(
          (e) => e.correlationId === wf.correlationId && e.type === 'payment.processed.v1',
        ),
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    await pub.close();

    const byKind = new Map<string, { tried: number; deadLetters: number; rejections: number; handled: number; missing: number }>();
    for (const r of rows) {
      const k = byKind.get(r.kind.replace(/ of .*-commands$/, ' of another topic')) ?? { tried: 0, deadLetters: 0, rejections: 0, handled: 0, missing: 0 };
      k.tried++;
      if (r.outcome.startsWith('dead letter')) k.deadLetters++;
      else if (r.outcome === 'rejection event') k.rejections++;
      else if (r.outcome.startsWith('handled')) k.handled++;
      else k.missing++;
      byKind.set(r.kind.replace(/ of .*-commands$/, ' of another topic'), k);
    }
    writeReport(
      'hostile-services',
      { sent: rows, backlogs, healthy, workflowAfter: paid },
      [
        '# Hostile input: poison on the command topics of running services',
        '',
        'The four services as `miso run` processes; every input below sent to each of the four command topics. Reproduce: `npx vitest run test/hostile/poison-services.test.ts`.',
        '',
        mdTable(
          ['input', 'tried', 'dead letters (with reason)', 'rejection events', 'handled as valid', 'unaccounted'],
          [...byKind.entries()].map(([k, v]) => [k, v.tried, v.deadLetters, v.rejections, v.handled, v.missing]),
        ),
        '',
        `Services afterwards: ${healthy.map((h) => `${h.service} ${h.alive ? 'running' : 'DEAD'} (${h.health ?? 'no answer'})`).join(', ')}. Subscription backlogs: ${backlogs.map((b) => b.backlog + b.unacked).reduce((a, b) => a + b, 0)}. A normal workflow afterwards reached its payout: ${paid ? 'yes' : 'NO'}.`,
        '',
        '## Each message',
        '',
        mdTable(
          ['topic', 'input', 'expected', 'outcome'],
          rows.map((r) => [r.topic, r.kind, r.expect, r.outcome]),
        ),
      ].join('\n'),
    );

    result = { rows, backlogs, healthy, paid };
  }, 240_000);

  let result:
    | {
        rows: (Sent & { outcome: string })[];
        backlogs: { topic: string; subscription: string; backlog: number; unacked: number }[];
        healthy: unknown[];
        paid: boolean;
      }
    | undefined;
  const rowsOf = (pred: (r: Sent) => boolean) => {
    expect(result, 'the hostile messages were sent').toBeDefined();
    return result!.rows.filter(pred);
  };

  it('random bytes, truncated Avro, a newer schema with an unknown type and wrong envelopes: dead letters that say why', () => {
    const rows = rowsOf((r) => r.expect === 'dead letter' && !r.kind.startsWith('unknown schema version'));
    expect(rows.length).toBe(4 * 8);
    for (const r of rows) expect(r.outcome, `${r.topic} ${r.kind}`).toMatch(/^dead letter: \S/);
  });

  it('a command that breaks a domain rule: a rejection event', () => {
    const rows = rowsOf((r) => r.expect === 'rejection');
    expect(rows.length).toBe(4);
    for (const r of rows) expect(r.outcome, `${r.topic} ${r.kind}`).toBe('rejection event');
  });

  it('a schema version the registry never issued: a dead letter, not decoded with a guessed schema', () => {
    const rows = rowsOf((r) => r.kind.startsWith('unknown schema version'));
    expect(rows.length).toBe(4);
    for (const r of rows) expect(r.outcome, `${r.topic} ${r.kind}`).toMatch(/^dead letter: \S/);
  });

  it('afterwards: nothing unacknowledged, every service healthy, a normal workflow reaches its payout', () => {
    expect(result).toBeDefined();
    for (const b of result!.backlogs) expect(b.backlog + b.unacked, `${b.topic}/${b.subscription}`).toBe(0);
    expect(result!.healthy).toEqual(SERVICES.map((service) => ({ service, alive: true, health: 'ok' })));
    expect(result!.paid).toBe(true);
  });
});
