import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { asyncApiDocument, AVRO_SCHEMA_FORMAT } from '../../../src/core/schemas.js';
import { TOPICS, MESSAGE_TYPES } from '../../../src/core/catalog/index.js';

// The published AsyncAPI parser and its Avro schema parser judge the document.
const require = createRequire(import.meta.url);
const { Parser } = require('@asyncapi/parser') as typeof import('@asyncapi/parser');
const { AvroSchemaParser } = require('@asyncapi/avro-schema-parser') as typeof import('@asyncapi/avro-schema-parser');

const scope = { tenant: 'acme', namespace: 'dev', serviceUrl: 'pulsar://broker.example:6650' };

function newParser(): InstanceType<typeof Parser> {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  return parser;
}

/** The Avro parser's own verdict on each message payload (AsyncAPI 3 parsing converts Avro but does not report its errors). */
async function avroErrors(doc: any): Promise<string[]> {
  const avro = AvroSchemaParser();
  const out: string[] = [];
  for (const [key, msg] of Object.entries<any>(doc.components.messages)) {
    const res = await avro.validate({
      data: msg.payload.schema,
      meta: {},
      path: ['components', 'messages', key, 'payload'],
      schemaFormat: msg.payload.schemaFormat,
      defaultSchemaFormat: AVRO_SCHEMA_FORMAT,
    } as any);
    for (const r of res ?? []) out.push(`${key}: ${r.message}`);
  }
  return out;
}

describe('AsyncAPI 3.0 document', () => {
  it('is valid for the official parser, and every Avro payload for the Avro schema parser', async () => {
    const doc = asyncApiDocument(scope);
    const { document, diagnostics } = await newParser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(await avroErrors(doc)).toEqual([]);
    expect(document!.version()).toBe('3.0.0');
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(expect.arrayContaining(TOPICS.map((t) => `persistent://acme/dev/${t}`)));
    const messages = document!.allMessages().all();
    for (const type of MESSAGE_TYPES) expect(messages.map((m) => m.name())).toContain(type);
    // The parser turned the Avro envelope into a schema it understands: the header fields are there.
    const created = messages.find((m) => m.name() === 'campaign.created.v1')!;
    expect(Object.keys(created.payload()!.properties() ?? {})).toEqual(['id', 'type', 'timestamp', 'correlation_id', 'causation_id', 'payload']);
  });

  it('describes each channel with its messages and Avro envelope payload', () => {
    const doc = asyncApiDocument(scope) as any;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.servers.pulsar).toMatchObject({ host: 'broker.example:6650', protocol: 'pulsar' });
    expect(Object.keys(doc.channels['campaign-events'].messages)).toEqual(['campaign.created.v1', 'video.added.v1', 'command.rejected.v1.campaign-events']);
    const msg = doc.components.messages['campaign.create.command.v1'];
    expect(msg.payload.schemaFormat).toBe(AVRO_SCHEMA_FORMAT);
    expect(msg.payload.schema.name).toBe('CampaignCommandsEnvelope');
    expect(msg.correlationId.location).toBe('$message.header#/correlation_id');
    expect(doc.operations.paymentReceivesCommands).toMatchObject({ action: 'receive', channel: { $ref: '#/channels/payment-commands' } });
    expect(doc.operations.trackingRequestsCommissions.messages).toEqual([{ $ref: '#/channels/commission-commands/messages/commission.calculate.command.v1' }]);
  });

  it('is refused when broken, in the document or in an Avro payload (the validation is real)', async () => {
    const badOp = asyncApiDocument(scope) as any;
    badOp.operations.paymentReceivesCommands.action = 'consume';
    const r1 = await newParser().parse(JSON.stringify(badOp));
    expect(r1.diagnostics.filter((d) => d.severity === 0).map((d) => d.path.join('.'))).toContain('operations.paymentReceivesCommands.action');
    const badAvro = asyncApiDocument(scope) as any;
    badAvro.components.messages['campaign.create.command.v1'].payload.schema = { type: 'record', name: 'X', fields: [{ name: 'id', type: 'no.such.Type' }] };
    expect(await avroErrors(badAvro)).toEqual(['campaign.create.command.v1: undefined type name: no.such.Type']);
  });
});
