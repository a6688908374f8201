/**
 * `miso schemas`: what the catalog holds (list, show), how it compares with what the broker
 * has registered (check), registering it (push), and the AsyncAPI 3.0 description of the
 * whole system (asyncapi).
 *
 * Check and push speak BACKWARD_TRANSITIVE, the strategy `miso init` sets: the local
 * envelope of a topic must read messages written with every registered version. The
 * verdict is computed locally (Avro resolution rules, naming the field at fault) and asked
 * of the broker's compatibility endpoint; push registers nothing unless every topic passes.
 */
import { writeFileSync } from 'node:fs';
import { MisoError, UsageError } from '../errors.js';
import {
  allSpecs,
  findSpec,
  resolveMessageType,
  TOPICS,
  typesOnTopic,
  topicOwner,
  topicKind,
  topicName,
  specOf,
  envelopeSchema,
  messageSchema,
  loadSchemaSources,
  describeType,
  commandTopicOf,
  eventTopicOf,
  type AvroDefinition,
  type MessageSpec,
  type TopicShortName,
  type SchemaSources,
} from './catalog/index.js';
import { compatibility, type Incompatibility } from './catalog/compat.js';
import type { AdminClient, CompatibilityResult } from '../pulsar/admin.js';

export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro;version=1.9.0';

export interface FieldInfo {
  name: string;
  flag: string;
  type: string;
  required: boolean;
  default?: unknown;
  doc: string;
}

export interface MessageTypeInfo {
  type: string;
  short: string;
  kind: string;
  topics: string[];
  owner: string;
  key: string;
  summary: string;
  record: string;
  fields: FieldInfo[];
}

function fieldsOf(type: string, sources: SchemaSources = loadSchemaSources()): FieldInfo[] {
  const def = sources.messages.get(type)!;
  const named = sources.named;
  return (def.fields ?? []).map((f) => ({
    name: f.name,
    flag: `--${f.name.replace(/_/g, '-')}`,
    type: describeType(f.type, named),
    required: f.default === undefined && !specOf(type)!.generatedIds.includes(f.name),
    ...(f.default !== undefined ? { default: f.default } : {}),
    doc: f.doc ?? '',
  }));
}

function info(spec: MessageSpec): MessageTypeInfo {
  return {
    type: spec.type,
    short: spec.short,
    kind: spec.kind,
    topics: [...spec.topics],
    owner: spec.owner,
    key: spec.keyField,
    summary: spec.summary,
    record: spec.record,
    fields: fieldsOf(spec.type),
  };
}

/** Every message type of the catalog. */
export function listMessageTypes(): MessageTypeInfo[] {
  return allSpecs().map(info);
}

/** One message type: its fields (as `miso send` flags), where it travels, and its Avro record. */
export function showMessageType(typed: string): MessageTypeInfo & { schema: AvroDefinition } {
  const spec = resolveMessageType(typed);
  return { ...info(spec), schema: messageSchema(spec.type) };
}

// ── check / push ───────────────────────────────────────────────────────

export type TopicSchemaStatus = 'up-to-date' | 'compatible' | 'incompatible' | 'not-registered';

export interface TopicSchemaCheck {
  topic: TopicShortName;
  fullTopic: string;
  status: TopicSchemaStatus;
  /** Registered versions, oldest first. */
  versions: number[];
  /** The registered version equal to the local schema, when there is one. */
  matchingVersion?: number;
  /** Why the local schema cannot read a registered version (BACKWARD_TRANSITIVE). */
  problems: (Incompatibility & { version: number })[];
  /** The broker's own verdict, when versions are registered. */
  broker?: CompatibilityResult;
}

export interface SchemaCheckReport {
  ok: boolean;
  topics: TopicSchemaCheck[];
}

/** The local envelope schemas against the registered ones, topic by topic. */
export async function checkSchemas(
  admin: AdminClient,
  scope: { tenant: string; namespace: string },
  opts: { dir?: string; topics?: readonly TopicShortName[] } = {},
): Promise<SchemaCheckReport> {
  const sources = loadSchemaSources(opts.dir);
  const topics = opts.topics ?? TOPICS;
  const results = await Promise.all(
    topics.map(async (topic): Promise<TopicSchemaCheck> => {
      const fullTopic = topicName(scope, topic);
      const local = envelopeSchema(topic, sources);
      const localText = JSON.stringify(local);
      const registered = await admin.getSchemas(fullTopic);
      const versions = registered.map((r) => r.version);
      if (registered.length === 0) return { topic, fullTopic, status: 'not-registered', versions, problems: [] };
      const same = registered.find((r) => r.data === localText);
      const latest = registered[registered.length - 1]!;
      if (same && same.version === latest.version) return { topic, fullTopic, status: 'up-to-date', versions, matchingVersion: same.version, problems: [] };
      const problems: TopicSchemaCheck['problems'] = [];
      for (const r of registered) {
        if (r.type !== 'AVRO') {
          problems.push({ version: r.version, path: '', reason: `version ${r.version} is a ${r.type} schema, not AVRO` });
          continue;
        }
        let writer: unknown;
        try {
          writer = JSON.parse(r.data);
        } catch {
          problems.push({ version: r.version, path: '', reason: `version ${r.version} is not valid JSON` });
          continue;
        }
        const verdict = compatibility(local, writer as AvroDefinition);
        for (const p of verdict.problems) problems.push({ ...p, version: r.version });
      }
      const broker = await admin.checkSchemaCompatibility(fullTopic, { type: 'AVRO', schema: localText, properties: {} });
      const status: TopicSchemaStatus = problems.length > 0 || !broker.compatible ? 'incompatible' : 'compatible';
      return { topic, fullTopic, status, versions, ...(same ? { matchingVersion: same.version } : {}), problems, broker };
    }),
  );
  return { ok: results.every((r) => r.status !== 'incompatible'), topics: results };
}

export interface TopicSchemaPush {
  topic: TopicShortName;
  fullTopic: string;
  action: 'registered' | 'unchanged';
  version: number;
}

/** Schemas that the broker or the local check refuse; nothing was registered. */
export class IncompatibleSchemasError extends MisoError {
  readonly report: SchemaCheckReport;
  constructor(report: SchemaCheckReport) {
    const bad = report.topics.filter((t) => t.status === 'incompatible');
    const first = bad[0]!;
    const p = first.problems[0];
    const why = p ? `${p.path ? p.path + ' ' : ''}${p.reason} (registered version ${p.version})` : (first.broker?.reason ?? 'the broker refuses it');
    super(`schema change refused for ${bad.map((b) => b.topic).join(', ')}: ${why}`, {
      hint: 'Evolve compatibly: add fields with a default, add message types at the end of the union, never remove or retype a field. Nothing was registered.',
    });
    this.report = report;
  }
}

/**
 * Register every local envelope schema that is not registered yet. All topics are checked
 * first; if any change is incompatible nothing is registered.
 */
export async function pushSchemas(
  admin: AdminClient,
  scope: { tenant: string; namespace: string },
  opts: { dir?: string; topics?: readonly TopicShortName[] } = {},
): Promise<{ report: SchemaCheckReport; pushed: TopicSchemaPush[] }> {
  const report = await checkSchemas(admin, scope, opts);
  if (!report.ok) throw new IncompatibleSchemasError(report);
  const sources = loadSchemaSources(opts.dir);
  const pushed: TopicSchemaPush[] = [];
  for (const t of report.topics) {
    if (t.status === 'up-to-date') {
      pushed.push({ topic: t.topic, fullTopic: t.fullTopic, action: 'unchanged', version: t.matchingVersion! });
      continue;
    }
    const { version } = await admin.postSchema(t.fullTopic, { type: 'AVRO', schema: JSON.stringify(envelopeSchema(t.topic, sources)), properties: {} });
    pushed.push({ topic: t.topic, fullTopic: t.fullTopic, action: 'registered', version });
  }
  return { report, pushed };
}

// ── AsyncAPI ───────────────────────────────────────────────────────────

function messageKey(type: string, topic: TopicShortName): string {
  return specOf(type)!.topics.length > 1 ? `${type}.${topic}` : type;
}

/**
 * The AsyncAPI 3.0 document of the system: one channel per topic, the messages each
 * carries (payload: the topic's Avro envelope), and what each service sends and receives.
 */
export function asyncApiDocument(scope: { tenant: string; namespace: string; serviceUrl: string }, opts: { version?: string } = {}): Record<string, unknown> {
  const url = /^(pulsar(?:\+ssl)?):\/\/([^/]+)\/?$/.exec(scope.serviceUrl);
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const topic of TOPICS) {
    const env = envelopeSchema(topic);
    schemas[env.name!] = { schemaFormat: AVRO_SCHEMA_FORMAT, schema: env };
    const channelMessages: Record<string, unknown> = {};
    for (const type of typesOnTopic(topic)) {
      const spec = specOf(type)!;
      const key = messageKey(type, topic);
      channelMessages[key] = { $ref: `#/components/messages/${key}` };
      messages[key] = {
        name: type,
        title: spec.short,
        summary: spec.summary,
        contentType: 'avro/binary',
        correlationId: { description: 'The workflow: every message caused by the same first command shares it.', location: '$message.header#/correlation_id' },
        headers: {
          type: 'object',
          description: 'Pulsar message properties, readable without decoding the payload.',
          properties: {
            type: { type: 'string', const: type, description: 'Message type.' },
            id: { type: 'string', format: 'uuid', description: 'Envelope id.' },
            correlation_id: { type: 'string', description: 'Workflow id.' },
            causation_id: { type: 'string', description: 'Id of the message that caused this one (absent for the first command).' },
          },
          required: ['type', 'id', 'correlation_id'],
        },
        payload: { schemaFormat: AVRO_SCHEMA_FORMAT, schema: env },
        tags: [{ name: spec.kind }, { name: topicOwner(topic) }],
        'x-message-key': spec.kind === 'rejection' ? 'aggregate_id, else command_id' : spec.keyField,
      };
    }
    channels[topic] = {
      address: topicName(scope, topic),
      title: topic,
      description:
        topicKind(topic) === 'commands'
          ? `Commands to the ${topicOwner(topic)} service (Shared or Key_Shared subscription \`${topicOwner(topic)}-service\`, keyed by aggregate id).`
          : `Domain events and refusals of the ${topicOwner(topic)} service.`,
      messages: channelMessages,
      bindings: { pulsar: { namespace: scope.namespace, persistence: 'persistent', bindingVersion: '0.1.0' } },
    };
  }

  const operations: Record<string, unknown> = {};
  const op = (id: string, action: 'send' | 'receive', topic: TopicShortName, summary: string, types?: string[]): void => {
    const list = types ?? typesOnTopic(topic);
    operations[id] = {
      action,
      channel: { $ref: `#/channels/${topic}` },
      summary,
      messages: list.map((t) => ({ $ref: `#/channels/${topic}/messages/${messageKey(t, topic)}` })),
    };
  };
  for (const service of ['campaign', 'tracking', 'commission', 'payment'] as const) {
    op(`${service}ReceivesCommands`, 'receive', commandTopicOf(service), `The ${service} service handles its commands.`);
    op(`${service}PublishesEvents`, 'send', eventTopicOf(service), `The ${service} service publishes its events and refusals.`);
  }
  op('trackingReadsCampaignEvents', 'receive', 'campaign-events', 'The tracking service keeps its own view of campaigns and videos.', [
    'campaign.created.v1',
    'video.added.v1',
  ]);
  op('trackingRequestsCommissions', 'send', 'commission-commands', 'After recording a tracking event, the tracking service asks for its commission.');
  op('commissionRequestsPayments', 'send', 'payment-commands', 'After computing a commission, the commission service asks for its payout.');
  for (const topic of ['campaign-commands', 'tracking-commands'] as const) {
    op(`clientSends${topic === 'campaign-commands' ? 'Campaign' : 'Tracking'}Commands`, 'send', topic, 'Clients (`miso send`, HTTP mode) send commands.');
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'miso',
      version: opts.version ?? '1.0.0',
      description:
        'Event-driven campaign, tracking, commission and payment services on Apache Pulsar. Every message is an Avro envelope (id, type, timestamp, correlation id, causation id, payload); one envelope schema per topic.',
    },
    defaultContentType: 'avro/binary',
    servers: {
      pulsar: {
        host: url?.[2] ?? scope.serviceUrl,
        protocol: url?.[1] ?? 'pulsar',
        description: 'Pulsar binary protocol endpoint.',
        bindings: { pulsar: { tenant: scope.tenant, bindingVersion: '0.1.0' } },
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** For `miso schemas show`: the spec behind what was typed, or undefined. */
export function lookupType(typed: string): MessageSpec | undefined {
  return findSpec(typed);
}

/** Write a generated document to the file the user named; a path that cannot be written is their error to fix, not a crash. */
export function writeDocument(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${file} (${code ?? String(err)})`, {
      hint:
        code === 'ENOENT' ? 'Create the directory first, or give --output a path in an existing one.' : 'Check the path given to --output and its permissions.',
    });
  }
}
