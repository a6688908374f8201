/**
 * The event catalog: every message of the system, where it travels and how it is encoded.
 * Everything that reads or writes messages goes through here (services, `miso send/tail/
 * trace`, the dashboard). The Avro files in `schemas/` are the source of truth.
 *
 * Lookup (`registry.ts`)
 *   MESSAGE_TYPES, COMMAND_TYPES, SHORT_NAMES, TOPICS, COMMAND_TOPICS, EVENT_TOPICS
 *   specOf(type) / findSpec(typed) → MessageSpec { type, short, kind, record, topics, owner, keyField, generatedIds, summary }
 *   typesOnTopic(topic), topicOf(type, publisher?), topicOwner(topic), eventTopicOf(service), commandTopicOf(service)
 *   Topic names here are short (`campaign-commands`); the full name comes from config
 *   (`topicName(cfg, short)` in src/core/topics.ts).
 *
 * Envelope (`envelope.ts`)
 *   newEnvelope(type, payload, { correlationId?, causationId?, causedBy?, id?, timestamp? }) → Envelope<T>
 *     (a new workflow when no correlation id: correlation_id = id; `causedBy: parent` joins the
 *     parent's workflow and names it as the cause)
 *   messageProperties(env) → { type, id, correlation_id, causation_id? } (names in PROPERTY)
 *   messageKey(env) → the aggregate id (see MessageSpec.keyField)
 *   Types: Envelope<T>, AnyEnvelope (narrow on `type`), Payload<T>, PayloadInput<T> (defaults optional),
 *   and every payload record (`types.ts`, generated from the .avsc files).
 *
 * Codec (`codec.ts`)
 *   encode(topic, env) → Buffer; decode(topic, bytes, writerSchemaJson?) → AnyEnvelope
 *   topicSchemaInfo(topic) → Pulsar SchemaInfo (AVRO, the topic's envelope)
 *   envelopeSchemaText(topic), topicForEnvelope(env, publisher?)
 *   Errors: DecodeError (with .partial when the type is unknown), ValidationError (.problems)
 *
 * Validation (`check.ts`, `input.ts`)
 *   validate(type, payload) → FieldProblem[] { path, expected, got, message }
 *   validateEnvelope(env); resolveMessageType(typed); parseFieldFlags(type, tokens);
 *   parseNdjson(text); parseJsonInput(text); prepareMessage(value, opts)
 */
export * from './registry.js';
export * from './envelope.js';
export * from './codec.js';
export * from './check.js';
export * from './input.js';
export type * from './types.js';
export { TRACKING_EVENT_TYPE_SYMBOLS, PAYMENT_STATUS_SYMBOLS } from './types.js';
export {
  envelopeSchema,
  messageSchema,
  payloadBranches,
  loadSchemaSources,
  schemasDir,
  type AvroSchema,
  type AvroDefinition,
  type AvroField,
  type SchemaSources,
} from './schemas.js';
export { trackingChain, type WorkflowStep } from './sample-workflow.js';
export { compatibility, explainIncompatibility, type Incompatibility } from './compat.js';
export { describeType, nearest } from './validate.js';
