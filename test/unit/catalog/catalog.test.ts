import { describe, it, expect } from 'vitest';
import avsc from 'avsc';
import {
  MESSAGE_TYPES,
  TOPICS,
  allSpecs,
  typesOnTopic,
  findSpec,
  topicOf,
  specOf,
  newEnvelope,
  encode,
  decode,
  messageProperties,
  messageKey,
  PROPERTY,
  envelopeSchema,
  payloadBranches,
  topicSchemaInfo,
  loadSchemaSources,
  DecodeError,
  ValidationError,
  type MessageType,
  type AvroDefinition,
  type AnyEnvelope,
} from '../../../src/core/catalog/index.js';
import { SAMPLES } from './samples.js';

function allFieldsDocumented(def: unknown, where: string, missing: string[]): void {
  if (typeof def !== 'object' || def === null) return;
  if (Array.isArray(def)) {
    def.forEach((d) => allFieldsDocumented(d, where, missing));
    return;
  }
  const d = def as AvroDefinition;
  if ((d.type === 'record' || d.type === 'enum') && !d.doc) missing.push(`${where}: type ${d.name}`);
  for (const f of d.fields ?? []) {
    if (!f.doc) missing.push(`${where}: field ${d.name}.${f.name}`);
    allFieldsDocumented(f.type, where, missing);
  }
  if (d.items) allFieldsDocumented(d.items, where, missing);
}

describe('registry ↔ schemas', () => {
  it('each topic envelope carries exactly the types the registry puts on it, in order', () => {
    for (const topic of TOPICS) {
      const records = typesOnTopic(topic).map((t) => specOf(t)!.record);
      expect(payloadBranches(topic), topic).toEqual(records);
    }
  });

  it('every event topic carries the rejection event, no command topic does', () => {
    for (const topic of TOPICS) {
      expect(typesOnTopic(topic).includes('command.rejected.v1'), topic).toBe(topic.endsWith('-events'));
    }
  });

  it('every envelope has the same header: uuid id, type, 64-bit timestamp-millis, correlation, nullable causation', () => {
    for (const topic of TOPICS) {
      const fields = envelopeSchema(topic).fields!;
      expect(fields.map((f) => f.name)).toEqual(['id', 'type', 'timestamp', 'correlation_id', 'causation_id', 'payload']);
      expect(fields[0]!.type).toEqual({ type: 'string', logicalType: 'uuid' });
      expect(fields[2]!.type).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
      expect(fields[4]!.type).toEqual(['null', 'string']);
      expect(fields[4]!.default).toBeNull();
    }
  });

  it('documents every record, enum and field', () => {
    const missing: string[] = [];
    for (const topic of TOPICS) allFieldsDocumented(envelopeSchema(topic), topic, missing);
    expect(missing).toEqual([]);
  });

  it('never uses float or double (money is integer minor units)', () => {
    for (const topic of TOPICS) {
      const text = JSON.stringify(envelopeSchema(topic));
      expect(text, topic).not.toMatch(/"(float|double)"/);
    }
    const sources = loadSchemaSources();
    for (const [type, def] of sources.messages) {
      for (const f of def.fields ?? []) {
        if (/amount|budget/.test(f.name)) expect(JSON.stringify(f.type), `${type}.${f.name}`).toContain('long');
      }
    }
  });

  it('every standalone envelope parses with avsc (no dangling names)', () => {
    for (const topic of TOPICS) expect(() => avsc.Type.forSchema(envelopeSchema(topic) as avsc.Schema)).not.toThrow();
  });

  it('finds a type by full name, short name, or short name with dashes', () => {
    expect(findSpec('campaign.create')?.type).toBe('campaign.create.command.v1');
    expect(findSpec('campaign.create.command.v1')?.short).toBe('campaign.create');
    expect(findSpec('tracking.create-event')?.type).toBe('tracking.create_event.command.v1');
    expect(findSpec('campaign.creat')).toBeUndefined();
  });

  it('routes commands to their topic and events to the publisher topic', () => {
    expect(topicOf('campaign.add_video.command.v1')).toBe('campaign-commands');
    expect(topicOf('payment.processed.v1')).toBe('payment-events');
    expect(topicOf('command.rejected.v1', 'commission')).toBe('commission-events');
    expect(() => topicOf('command.rejected.v1')).toThrow(/several topics/);
  });
});

describe('codec round trips', () => {
  for (const type of MESSAGE_TYPES) {
    it(`${type}: encode → decode gives back the envelope`, () => {
      const env = newEnvelope(type, SAMPLES[type] as never, { correlationId: 'wf-1', causationId: '2b1f0d3e-8c4a-4b7e-a1d2-c3e4f5a6b7c8' }) as AnyEnvelope;
      const topics = specOf(type)!.topics;
      for (const topic of topics) {
        const bytes = encode(topic, env);
        const back = decode(topic, bytes);
        expect(back).toEqual(env);
        expect(back.type).toBe(type);
      }
    });
  }

  it('fills schema defaults so the envelope equals what a consumer decodes', () => {
    const env = newEnvelope('campaign.created.v1', { campaign_id: 'c', user_id: 'u', name: 'n' });
    expect(env.payload).toEqual({ campaign_id: 'c', user_id: 'u', name: 'n', description: null, budget_minor: null, currency: 'USD' });
  });

  it('keeps a 64-bit millisecond timestamp exactly (beyond 2^31 and 2^32)', () => {
    const ts = Date.UTC(2105, 0, 1, 12, 0, 0, 123);
    const env = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1'], { timestamp: ts });
    expect(decode('campaign-events', encode('campaign-events', env)).timestamp).toBe(ts);
  });

  it('starts a workflow (correlation = own id) or joins the cause with causedBy', () => {
    const cmd = newEnvelope('campaign.create.command.v1', SAMPLES['campaign.create.command.v1']);
    expect(cmd.correlation_id).toBe(cmd.id);
    expect(cmd.causation_id).toBeNull();
    const ev = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1'], { causedBy: cmd });
    expect(ev.correlation_id).toBe(cmd.id);
    expect(ev.causation_id).toBe(cmd.id);
    expect(ev.id).not.toBe(cmd.id);
  });

  it('refuses to encode a payload that does not fit, naming the field', () => {
    const env = newEnvelope('payment.process.command.v1', { ...SAMPLES['payment.process.command.v1'], amount_minor: 12.5 });
    expect(() => encode('payment-commands', env)).toThrow(ValidationError);
    expect(() => encode('payment-commands', env)).toThrow(/payload\.amount_minor.*whole number/);
  });

  it('refuses a type on a topic it does not travel on', () => {
    const env = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1']);
    expect(() => encode('campaign-commands', env)).toThrow(/does not travel on campaign-commands/);
  });

  it('reports garbage bytes as a DecodeError', () => {
    expect(() => decode('campaign-events', Buffer.from('not avro at all'))).toThrow(DecodeError);
    const good = encode('campaign-events', newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1']));
    expect(() => decode('campaign-events', good.subarray(0, good.length - 3))).toThrow(DecodeError);
  });
});

describe('decoding with another writer schema', () => {
  const topic = 'campaign-events' as const;
  const local = envelopeSchema(topic);

  function variant(edit: (s: AvroDefinition) => void): AvroDefinition {
    const s = structuredClone(local);
    edit(s);
    return s;
  }

  it('reads a message written by an older schema (a field added since, with a default)', () => {
    // The old writer did not have campaign.created's `budget_minor` and `currency` fields.
    const old = variant((s) => {
      const created = (s.fields![5]!.type as AvroDefinition[])[0]!;
      created.fields = created.fields!.filter((f) => f.name !== 'budget_minor' && f.name !== 'currency');
    });
    const oldType = avsc.Type.forSchema(old as avsc.Schema);
    const bytes = oldType.toBuffer({
      id: '4c1b0e5a-7d2f-4e8a-9b3c-5d6e7f8a9b0c',
      type: 'campaign.created.v1',
      timestamp: 1_700_000_000_000,
      correlation_id: 'wf',
      causation_id: null,
      payload: { 'miso.campaign.CampaignCreated': { campaign_id: 'c', user_id: 'u', name: 'n', description: null } },
    });
    const env = decode(topic, bytes, JSON.stringify(old));
    expect(env.payload).toEqual({ campaign_id: 'c', user_id: 'u', name: 'n', description: null, budget_minor: null, currency: 'USD' });
  });

  it('shows a message of a type this catalog does not know (newer writer) as a DecodeError with the decoded content', () => {
    const newer = variant((s) => {
      (s.fields![5]!.type as unknown[]).push({
        type: 'record',
        name: 'CampaignArchived',
        namespace: 'miso.campaign',
        fields: [{ name: 'campaign_id', type: 'string' }],
      });
    });
    const bytes = avsc.Type.forSchema(newer as avsc.Schema).toBuffer({
      id: '4c1b0e5a-7d2f-4e8a-9b3c-5d6e7f8a9b0c',
      type: 'campaign.archived.v1',
      timestamp: 1,
      correlation_id: 'wf',
      causation_id: null,
      payload: { 'miso.campaign.CampaignArchived': { campaign_id: 'c9' } },
    });
    let err: unknown;
    try {
      decode(topic, bytes, JSON.stringify(newer));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).message).toMatch(/campaign\.archived\.v1.*not in this catalog/);
    expect((err as DecodeError).partial?.payload).toEqual({ campaign_id: 'c9' });
  });

  it('decodes a known type written by a newer writer whose union has an extra branch', () => {
    const newer = variant((s) => {
      (s.fields![5]!.type as unknown[]).push({
        type: 'record',
        name: 'CampaignArchived',
        namespace: 'miso.campaign',
        fields: [{ name: 'campaign_id', type: 'string' }],
      });
    });
    const env = newEnvelope('video.added.v1', SAMPLES['video.added.v1']);
    const bytes = avsc.Type.forSchema(newer as avsc.Schema).toBuffer({ ...env, payload: { 'miso.campaign.VideoAdded': env.payload } });
    expect(decode(topic, bytes, JSON.stringify(newer))).toEqual(env);
  });
});

describe('properties and key', () => {
  it('carries type, id, correlation and causation ids as properties', () => {
    const cmd = newEnvelope('campaign.create.command.v1', SAMPLES['campaign.create.command.v1']);
    expect(messageProperties(cmd)).toEqual({ [PROPERTY.type]: cmd.type, [PROPERTY.id]: cmd.id, [PROPERTY.correlationId]: cmd.id });
    const ev = newEnvelope('campaign.created.v1', SAMPLES['campaign.created.v1'], { causedBy: cmd });
    expect(messageProperties(ev)).toEqual({ type: 'campaign.created.v1', id: ev.id, correlation_id: cmd.id, causation_id: cmd.id });
  });

  it('keys each message by its aggregate id', () => {
    const expected: Record<MessageType, string> = {
      'campaign.create.command.v1': 'a3c4f7e2-1b7d-4c1e-9a51-0b6f3f1d2e01',
      'campaign.add_video.command.v1': 'a3c4f7e2-1b7d-4c1e-9a51-0b6f3f1d2e01',
      'tracking.create_event.command.v1': 'te-1',
      'commission.calculate.command.v1': 'te-1',
      'payment.process.command.v1': 'co-1',
      'campaign.created.v1': 'c-1',
      'video.added.v1': 'c-1',
      'tracking_event.created.v1': 'te-1',
      'commission.calculated.v1': 'te-1',
      'payment.processed.v1': 'co-1',
      'command.rejected.v1': '0d9c8a7b-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
    };
    for (const spec of allSpecs()) {
      const type = spec.type as MessageType;
      expect(messageKey(newEnvelope(type, SAMPLES[type] as never)), type).toBe(expected[type]);
    }
    const rej = newEnvelope('command.rejected.v1', { ...SAMPLES['command.rejected.v1'], aggregate_id: 'c-77' });
    expect(messageKey(rej)).toBe('c-77');
  });

  it('gives the broker an AVRO schema info whose schema is the standalone envelope', () => {
    const info = topicSchemaInfo('tracking-events');
    expect(info.type).toBe('AVRO');
    expect(JSON.parse(info.schema)).toEqual(envelopeSchema('tracking-events'));
    expect(info.schema).toContain('"symbols":["view","click","conversion"]');
  });
});
