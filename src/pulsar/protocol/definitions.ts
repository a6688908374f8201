/**
 * The Pulsar binary protocol messages miso speaks, declared from the field numbers of
 * Pulsar's PulsarApi.proto (package pulsar.proto, proto2). Each message has a TypeScript
 * shape and a table the generic codec in `protobuf.ts` walks. 64-bit ids that name things
 * (request/producer/consumer ids, sequence ids, ledger/entry ids) are bigint or number as
 * noted; millisecond timestamps are numbers.
 *
 * Longer than the ~400 lines we aim for on purpose: it is one table, mirroring the one
 * .proto file message by message; split, a reader would lose the field numbers' context.
 */
import { defineMessage as m, type MessageDef } from './protobuf.js';

// ---------------------------------------------------------------------------------------
// Shared types

export interface KeyValue {
  key: string;
  value: string;
}
export const KeyValueDef: MessageDef = m('KeyValue', [
  { no: 1, name: 'key', type: 'string', required: true },
  { no: 2, name: 'value', type: 'string', required: true },
]);

export interface KeyLongValue {
  key: string;
  value: bigint;
}
export const KeyLongValueDef: MessageDef = m('KeyLongValue', [
  { no: 1, name: 'key', type: 'string', required: true },
  { no: 2, name: 'value', type: 'uint64', required: true },
]);

export interface IntRange {
  start: number;
  end: number;
}
export const IntRangeDef: MessageDef = m('IntRange', [
  { no: 1, name: 'start', type: 'int32', required: true },
  { no: 2, name: 'end', type: 'int32', required: true },
]);

/** Schema.Type */
export const SchemaType = {
  None: 0,
  String: 1,
  Json: 2,
  Protobuf: 3,
  Avro: 4,
  Bool: 5,
  Int8: 6,
  Int16: 7,
  Int32: 8,
  Int64: 9,
  Float: 10,
  Double: 11,
  Date: 12,
  Time: 13,
  Timestamp: 14,
  KeyValue: 15,
  Instant: 16,
  LocalDate: 17,
  LocalTime: 18,
  LocalDateTime: 19,
  ProtobufNative: 20,
  AutoConsume: 21,
} as const;

export interface ProtoSchema {
  name: string;
  schema_data: Buffer;
  type: number;
  properties?: KeyValue[];
}
export const SchemaDef: MessageDef = m('Schema', [
  { no: 1, name: 'name', type: 'string', required: true },
  { no: 3, name: 'schema_data', type: 'bytes', required: true },
  { no: 4, name: 'type', type: 'enum', required: true },
  { no: 5, name: 'properties', type: 'message', message: () => KeyValueDef, repeated: true },
]);

export interface MessageIdData {
  /** Signed so the broker's "no position" (-1) reads as -1n. */
  ledgerId: bigint;
  entryId: bigint;
  partition?: number;
  batch_index?: number;
  ack_set?: bigint[];
  batch_size?: number;
}
export const MessageIdDataDef: MessageDef = m('MessageIdData', [
  { no: 1, name: 'ledgerId', type: 'int64', required: true },
  { no: 2, name: 'entryId', type: 'int64', required: true },
  { no: 3, name: 'partition', type: 'int32' },
  { no: 4, name: 'batch_index', type: 'int32' },
  { no: 5, name: 'ack_set', type: 'int64', repeated: true },
  { no: 6, name: 'batch_size', type: 'int32' },
]);

export const CompressionType = { NONE: 0, LZ4: 1, ZLIB: 2, ZSTD: 3, SNAPPY: 4 } as const;

export interface MessageMetadata {
  producer_name: string;
  sequence_id: bigint;
  publish_time: number;
  properties?: KeyValue[];
  replicated_from?: string;
  partition_key?: string;
  replicate_to?: string[];
  compression?: number;
  uncompressed_size?: number;
  /** Present only on batches (its presence is what marks a batch). */
  num_messages_in_batch?: number;
  event_time?: number;
  encryption_algo?: string;
  schema_version?: Buffer;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  deliver_at_time?: number;
  marker_type?: number;
  txnid_least_bits?: bigint;
  txnid_most_bits?: bigint;
  highest_sequence_id?: bigint;
  null_value?: boolean;
  uuid?: string;
  num_chunks_from_msg?: number;
  total_chunk_msg_size?: number;
  chunk_id?: number;
  null_partition_key?: boolean;
}
export const MessageMetadataDef: MessageDef = m('MessageMetadata', [
  { no: 1, name: 'producer_name', type: 'string', required: true },
  { no: 2, name: 'sequence_id', type: 'uint64', required: true },
  { no: 3, name: 'publish_time', type: 'uint64num', required: true },
  { no: 4, name: 'properties', type: 'message', message: () => KeyValueDef, repeated: true },
  { no: 5, name: 'replicated_from', type: 'string' },
  { no: 6, name: 'partition_key', type: 'string' },
  { no: 7, name: 'replicate_to', type: 'string', repeated: true },
  { no: 8, name: 'compression', type: 'enum' },
  { no: 9, name: 'uncompressed_size', type: 'uint32' },
  { no: 11, name: 'num_messages_in_batch', type: 'int32' },
  { no: 12, name: 'event_time', type: 'uint64num' },
  // 13 encryption_keys: not used (no end-to-end encryption); skipped when present.
  { no: 14, name: 'encryption_algo', type: 'string' },
  { no: 16, name: 'schema_version', type: 'bytes' },
  { no: 17, name: 'partition_key_b64_encoded', type: 'bool' },
  { no: 18, name: 'ordering_key', type: 'bytes' },
  { no: 19, name: 'deliver_at_time', type: 'int64num' },
  { no: 20, name: 'marker_type', type: 'int32' },
  { no: 22, name: 'txnid_least_bits', type: 'uint64' },
  { no: 23, name: 'txnid_most_bits', type: 'uint64' },
  { no: 24, name: 'highest_sequence_id', type: 'uint64' },
  { no: 25, name: 'null_value', type: 'bool' },
  { no: 26, name: 'uuid', type: 'string' },
  { no: 27, name: 'num_chunks_from_msg', type: 'int32' },
  { no: 28, name: 'total_chunk_msg_size', type: 'int32' },
  { no: 29, name: 'chunk_id', type: 'int32' },
  { no: 30, name: 'null_partition_key', type: 'bool' },
]);

export interface SingleMessageMetadata {
  properties?: KeyValue[];
  partition_key?: string;
  payload_size: number;
  compacted_out?: boolean;
  event_time?: number;
  partition_key_b64_encoded?: boolean;
  ordering_key?: Buffer;
  sequence_id?: bigint;
  null_value?: boolean;
  null_partition_key?: boolean;
}
export const SingleMessageMetadataDef: MessageDef = m('SingleMessageMetadata', [
  { no: 1, name: 'properties', type: 'message', message: () => KeyValueDef, repeated: true },
  { no: 2, name: 'partition_key', type: 'string' },
  { no: 3, name: 'payload_size', type: 'int32', required: true },
  { no: 4, name: 'compacted_out', type: 'bool' },
  { no: 5, name: 'event_time', type: 'uint64num' },
  { no: 6, name: 'partition_key_b64_encoded', type: 'bool' },
  { no: 7, name: 'ordering_key', type: 'bytes' },
  { no: 8, name: 'sequence_id', type: 'uint64' },
  { no: 9, name: 'null_value', type: 'bool' },
  { no: 10, name: 'null_partition_key', type: 'bool' },
]);

export interface BrokerEntryMetadata {
  broker_timestamp?: number;
  index?: number;
}
export const BrokerEntryMetadataDef: MessageDef = m('BrokerEntryMetadata', [
  { no: 1, name: 'broker_timestamp', type: 'uint64num' },
  { no: 2, name: 'index', type: 'uint64num' },
]);

// ---------------------------------------------------------------------------------------
// Connection

export interface FeatureFlags {
  supports_auth_refresh?: boolean;
  supports_broker_entry_metadata?: boolean;
  supports_partial_producer?: boolean;
  supports_topic_watchers?: boolean;
  supports_get_partitioned_metadata_without_auto_creation?: boolean;
}
export const FeatureFlagsDef: MessageDef = m('FeatureFlags', [
  { no: 1, name: 'supports_auth_refresh', type: 'bool' },
  { no: 2, name: 'supports_broker_entry_metadata', type: 'bool' },
  { no: 3, name: 'supports_partial_producer', type: 'bool' },
  { no: 4, name: 'supports_topic_watchers', type: 'bool' },
  { no: 5, name: 'supports_get_partitioned_metadata_without_auto_creation', type: 'bool' },
]);

export interface CommandConnect {
  client_version: string;
  auth_method_name?: string;
  auth_data?: Buffer;
  protocol_version?: number;
  proxy_to_broker_url?: string;
  feature_flags?: FeatureFlags;
}
export const CommandConnectDef: MessageDef = m('CommandConnect', [
  { no: 1, name: 'client_version', type: 'string', required: true },
  { no: 3, name: 'auth_data', type: 'bytes' },
  { no: 4, name: 'protocol_version', type: 'int32' },
  { no: 5, name: 'auth_method_name', type: 'string' },
  { no: 6, name: 'proxy_to_broker_url', type: 'string' },
  { no: 10, name: 'feature_flags', type: 'message', message: () => FeatureFlagsDef },
]);

export interface CommandConnected {
  server_version: string;
  protocol_version?: number;
  max_message_size?: number;
  feature_flags?: FeatureFlags;
}
export const CommandConnectedDef: MessageDef = m('CommandConnected', [
  { no: 1, name: 'server_version', type: 'string', required: true },
  { no: 2, name: 'protocol_version', type: 'int32' },
  { no: 3, name: 'max_message_size', type: 'int32' },
  { no: 4, name: 'feature_flags', type: 'message', message: () => FeatureFlagsDef },
]);

export interface AuthData {
  auth_method_name?: string;
  auth_data?: Buffer;
}
export const AuthDataDef: MessageDef = m('AuthData', [
  { no: 1, name: 'auth_method_name', type: 'string' },
  { no: 2, name: 'auth_data', type: 'bytes' },
]);

export interface CommandAuthChallenge {
  server_version?: string;
  challenge?: AuthData;
  protocol_version?: number;
}
export const CommandAuthChallengeDef: MessageDef = m('CommandAuthChallenge', [
  { no: 1, name: 'server_version', type: 'string' },
  { no: 2, name: 'challenge', type: 'message', message: () => AuthDataDef },
  { no: 3, name: 'protocol_version', type: 'int32' },
]);

export interface CommandAuthResponse {
  client_version?: string;
  response?: AuthData;
  protocol_version?: number;
}
export const CommandAuthResponseDef: MessageDef = m('CommandAuthResponse', [
  { no: 1, name: 'client_version', type: 'string' },
  { no: 2, name: 'response', type: 'message', message: () => AuthDataDef },
  { no: 3, name: 'protocol_version', type: 'int32' },
]);

export const EmptyDef: MessageDef = m('Empty', []);

// ---------------------------------------------------------------------------------------
// Lookup

export interface CommandLookupTopic {
  topic: string;
  request_id: number;
  authoritative?: boolean;
  advertised_listener_name?: string;
}
export const CommandLookupTopicDef: MessageDef = m('CommandLookupTopic', [
  { no: 1, name: 'topic', type: 'string', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'authoritative', type: 'bool' },
  { no: 7, name: 'advertised_listener_name', type: 'string' },
]);

export const LookupType = { Redirect: 0, Connect: 1, Failed: 2 } as const;

export interface CommandLookupTopicResponse {
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
  response?: number;
  request_id: number;
  authoritative?: boolean;
  error?: number;
  message?: string;
  proxy_through_service_url?: boolean;
}
export const CommandLookupTopicResponseDef: MessageDef = m('CommandLookupTopicResponse', [
  { no: 1, name: 'brokerServiceUrl', type: 'string' },
  { no: 2, name: 'brokerServiceUrlTls', type: 'string' },
  { no: 3, name: 'response', type: 'enum' },
  { no: 4, name: 'request_id', type: 'uint64num', required: true },
  { no: 5, name: 'authoritative', type: 'bool' },
  { no: 6, name: 'error', type: 'enum' },
  { no: 7, name: 'message', type: 'string' },
  { no: 8, name: 'proxy_through_service_url', type: 'bool' },
]);

export interface CommandPartitionedTopicMetadata {
  topic: string;
  request_id: number;
  metadata_auto_creation_enabled?: boolean;
}
export const CommandPartitionedTopicMetadataDef: MessageDef = m('CommandPartitionedTopicMetadata', [
  { no: 1, name: 'topic', type: 'string', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 6, name: 'metadata_auto_creation_enabled', type: 'bool' },
]);

export interface CommandPartitionedTopicMetadataResponse {
  partitions?: number;
  request_id: number;
  response?: number;
  error?: number;
  message?: string;
}
export const CommandPartitionedTopicMetadataResponseDef: MessageDef = m('CommandPartitionedTopicMetadataResponse', [
  { no: 1, name: 'partitions', type: 'uint32' },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'response', type: 'enum' },
  { no: 4, name: 'error', type: 'enum' },
  { no: 5, name: 'message', type: 'string' },
]);

// ---------------------------------------------------------------------------------------
// Producer

export interface CommandProducer {
  topic: string;
  producer_id: number;
  request_id: number;
  producer_name?: string;
  encrypted?: boolean;
  metadata?: KeyValue[];
  schema?: ProtoSchema;
  epoch?: number;
  user_provided_producer_name?: boolean;
  producer_access_mode?: number;
}
export const CommandProducerDef: MessageDef = m('CommandProducer', [
  { no: 1, name: 'topic', type: 'string', required: true },
  { no: 2, name: 'producer_id', type: 'uint64num', required: true },
  { no: 3, name: 'request_id', type: 'uint64num', required: true },
  { no: 4, name: 'producer_name', type: 'string' },
  { no: 5, name: 'encrypted', type: 'bool' },
  { no: 6, name: 'metadata', type: 'message', message: () => KeyValueDef, repeated: true },
  { no: 7, name: 'schema', type: 'message', message: () => SchemaDef },
  { no: 8, name: 'epoch', type: 'uint64num' },
  { no: 9, name: 'user_provided_producer_name', type: 'bool' },
  { no: 10, name: 'producer_access_mode', type: 'enum' },
]);

export interface CommandProducerSuccess {
  request_id: number;
  producer_name: string;
  last_sequence_id?: number;
  schema_version?: Buffer;
  topic_epoch?: number;
  producer_ready?: boolean;
}
export const CommandProducerSuccessDef: MessageDef = m('CommandProducerSuccess', [
  { no: 1, name: 'request_id', type: 'uint64num', required: true },
  { no: 2, name: 'producer_name', type: 'string', required: true },
  { no: 3, name: 'last_sequence_id', type: 'int64num' },
  { no: 4, name: 'schema_version', type: 'bytes' },
  { no: 5, name: 'topic_epoch', type: 'uint64num' },
  { no: 6, name: 'producer_ready', type: 'bool' },
]);

/** Sequence ids on the publish path are numbers: exact up to 2^53, which the producer enforces. */
export interface CommandSend {
  producer_id: number;
  sequence_id: number;
  num_messages?: number;
  highest_sequence_id?: number;
  is_chunk?: boolean;
  marker?: boolean;
}
export const CommandSendDef: MessageDef = m('CommandSend', [
  { no: 1, name: 'producer_id', type: 'uint64num', required: true },
  { no: 2, name: 'sequence_id', type: 'uint64num', required: true },
  { no: 3, name: 'num_messages', type: 'int32' },
  { no: 6, name: 'highest_sequence_id', type: 'uint64num' },
  { no: 7, name: 'is_chunk', type: 'bool' },
  { no: 8, name: 'marker', type: 'bool' },
]);

export interface CommandSendReceipt {
  producer_id: number;
  sequence_id: number;
  message_id?: MessageIdData;
  highest_sequence_id?: number;
}
export const CommandSendReceiptDef: MessageDef = m('CommandSendReceipt', [
  { no: 1, name: 'producer_id', type: 'uint64num', required: true },
  { no: 2, name: 'sequence_id', type: 'uint64num', required: true },
  { no: 3, name: 'message_id', type: 'message', message: () => MessageIdDataDef },
  { no: 4, name: 'highest_sequence_id', type: 'uint64num' },
]);

export interface CommandSendError {
  producer_id: number;
  sequence_id: number;
  error: number;
  message: string;
}
export const CommandSendErrorDef: MessageDef = m('CommandSendError', [
  { no: 1, name: 'producer_id', type: 'uint64num', required: true },
  { no: 2, name: 'sequence_id', type: 'uint64num', required: true },
  { no: 3, name: 'error', type: 'enum', required: true },
  { no: 4, name: 'message', type: 'string', required: true },
]);

export interface CommandCloseProducer {
  producer_id: number;
  request_id: number;
  assignedBrokerServiceUrl?: string;
  assignedBrokerServiceUrlTls?: string;
}
export const CommandCloseProducerDef: MessageDef = m('CommandCloseProducer', [
  { no: 1, name: 'producer_id', type: 'uint64num', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'assignedBrokerServiceUrl', type: 'string' },
  { no: 4, name: 'assignedBrokerServiceUrlTls', type: 'string' },
]);

// ---------------------------------------------------------------------------------------
// Consumer

export const SubType = { Exclusive: 0, Shared: 1, Failover: 2, Key_Shared: 3 } as const;
export const InitialPosition = { Latest: 0, Earliest: 1 } as const;
export const KeySharedMode = { AUTO_SPLIT: 0, STICKY: 1 } as const;

export interface KeySharedMeta {
  keySharedMode: number;
  hashRanges?: IntRange[];
  allowOutOfOrderDelivery?: boolean;
}
export const KeySharedMetaDef: MessageDef = m('KeySharedMeta', [
  { no: 1, name: 'keySharedMode', type: 'enum', required: true },
  { no: 3, name: 'hashRanges', type: 'message', message: () => IntRangeDef, repeated: true },
  { no: 4, name: 'allowOutOfOrderDelivery', type: 'bool' },
]);

export interface CommandSubscribe {
  topic: string;
  subscription: string;
  subType: number;
  consumer_id: number;
  request_id: number;
  consumer_name?: string;
  priority_level?: number;
  durable?: boolean;
  start_message_id?: MessageIdData;
  metadata?: KeyValue[];
  read_compacted?: boolean;
  schema?: ProtoSchema;
  initialPosition?: number;
  replicate_subscription_state?: boolean;
  force_topic_creation?: boolean;
  start_message_rollback_duration_sec?: number;
  keySharedMeta?: KeySharedMeta;
  subscription_properties?: KeyValue[];
  consumer_epoch?: number;
}
export const CommandSubscribeDef: MessageDef = m('CommandSubscribe', [
  { no: 1, name: 'topic', type: 'string', required: true },
  { no: 2, name: 'subscription', type: 'string', required: true },
  { no: 3, name: 'subType', type: 'enum', required: true },
  { no: 4, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 5, name: 'request_id', type: 'uint64num', required: true },
  { no: 6, name: 'consumer_name', type: 'string' },
  { no: 7, name: 'priority_level', type: 'int32' },
  { no: 8, name: 'durable', type: 'bool' },
  { no: 9, name: 'start_message_id', type: 'message', message: () => MessageIdDataDef },
  { no: 10, name: 'metadata', type: 'message', message: () => KeyValueDef, repeated: true },
  { no: 11, name: 'read_compacted', type: 'bool' },
  { no: 12, name: 'schema', type: 'message', message: () => SchemaDef },
  { no: 13, name: 'initialPosition', type: 'enum' },
  { no: 14, name: 'replicate_subscription_state', type: 'bool' },
  { no: 15, name: 'force_topic_creation', type: 'bool' },
  { no: 16, name: 'start_message_rollback_duration_sec', type: 'uint64num' },
  { no: 17, name: 'keySharedMeta', type: 'message', message: () => KeySharedMetaDef },
  { no: 18, name: 'subscription_properties', type: 'message', message: () => KeyValueDef, repeated: true },
  { no: 19, name: 'consumer_epoch', type: 'uint64num' },
]);

export interface CommandFlow {
  consumer_id: number;
  messagePermits: number;
}
export const CommandFlowDef: MessageDef = m('CommandFlow', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'messagePermits', type: 'uint32', required: true },
]);

export interface CommandMessage {
  consumer_id: number;
  message_id: MessageIdData;
  redelivery_count?: number;
  ack_set?: bigint[];
  consumer_epoch?: number;
}
export const CommandMessageDef: MessageDef = m('CommandMessage', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'message_id', type: 'message', message: () => MessageIdDataDef, required: true },
  { no: 3, name: 'redelivery_count', type: 'uint32' },
  { no: 4, name: 'ack_set', type: 'int64', repeated: true },
  { no: 5, name: 'consumer_epoch', type: 'uint64num' },
]);

export const AckType = { Individual: 0, Cumulative: 1 } as const;
export const AckValidationError = {
  UncompressedSizeCorruption: 0,
  DecompressionError: 1,
  ChecksumMismatch: 2,
  BatchDeSerializeError: 3,
  DecryptionError: 4,
} as const;

export interface CommandAck {
  consumer_id: number;
  ack_type: number;
  message_id?: MessageIdData[];
  validation_error?: number;
  properties?: KeyLongValue[];
  request_id?: number;
}
export const CommandAckDef: MessageDef = m('CommandAck', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'ack_type', type: 'enum', required: true },
  { no: 3, name: 'message_id', type: 'message', message: () => MessageIdDataDef, repeated: true },
  { no: 4, name: 'validation_error', type: 'enum' },
  { no: 5, name: 'properties', type: 'message', message: () => KeyLongValueDef, repeated: true },
  { no: 8, name: 'request_id', type: 'uint64num' },
]);

export interface CommandAckResponse {
  consumer_id: number;
  error?: number;
  message?: string;
  request_id?: number;
}
export const CommandAckResponseDef: MessageDef = m('CommandAckResponse', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 4, name: 'error', type: 'enum' },
  { no: 5, name: 'message', type: 'string' },
  { no: 6, name: 'request_id', type: 'uint64num' },
]);

export interface CommandRedeliverUnacknowledgedMessages {
  consumer_id: number;
  message_ids?: MessageIdData[];
  consumer_epoch?: number;
}
export const CommandRedeliverUnacknowledgedMessagesDef: MessageDef = m('CommandRedeliverUnacknowledgedMessages', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'message_ids', type: 'message', message: () => MessageIdDataDef, repeated: true },
  { no: 3, name: 'consumer_epoch', type: 'uint64num' },
]);

export interface CommandUnsubscribe {
  consumer_id: number;
  request_id: number;
  force?: boolean;
}
export const CommandUnsubscribeDef: MessageDef = m('CommandUnsubscribe', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'force', type: 'bool' },
]);

export interface CommandSeek {
  consumer_id: number;
  request_id: number;
  message_id?: MessageIdData;
  message_publish_time?: number;
}
export const CommandSeekDef: MessageDef = m('CommandSeek', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'message_id', type: 'message', message: () => MessageIdDataDef },
  { no: 4, name: 'message_publish_time', type: 'uint64num' },
]);

export interface CommandCloseConsumer {
  consumer_id: number;
  request_id: number;
  assignedBrokerServiceUrl?: string;
  assignedBrokerServiceUrlTls?: string;
}
export const CommandCloseConsumerDef: MessageDef = m('CommandCloseConsumer', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'assignedBrokerServiceUrl', type: 'string' },
  { no: 4, name: 'assignedBrokerServiceUrlTls', type: 'string' },
]);

export interface CommandReachedEndOfTopic {
  consumer_id: number;
}
export const CommandReachedEndOfTopicDef: MessageDef = m('CommandReachedEndOfTopic', [{ no: 1, name: 'consumer_id', type: 'uint64num', required: true }]);

export interface CommandActiveConsumerChange {
  consumer_id: number;
  is_active?: boolean;
}
export const CommandActiveConsumerChangeDef: MessageDef = m('CommandActiveConsumerChange', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'is_active', type: 'bool' },
]);

export interface CommandGetLastMessageId {
  consumer_id: number;
  request_id: number;
}
export const CommandGetLastMessageIdDef: MessageDef = m('CommandGetLastMessageId', [
  { no: 1, name: 'consumer_id', type: 'uint64num', required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
]);

export interface CommandGetLastMessageIdResponse {
  last_message_id: MessageIdData;
  request_id: number;
  consumer_mark_delete_position?: MessageIdData;
}
export const CommandGetLastMessageIdResponseDef: MessageDef = m('CommandGetLastMessageIdResponse', [
  { no: 1, name: 'last_message_id', type: 'message', message: () => MessageIdDataDef, required: true },
  { no: 2, name: 'request_id', type: 'uint64num', required: true },
  { no: 3, name: 'consumer_mark_delete_position', type: 'message', message: () => MessageIdDataDef },
]);

// ---------------------------------------------------------------------------------------
// Schema registry

export interface CommandGetSchema {
  request_id: number;
  topic: string;
  schema_version?: Buffer;
}
export const CommandGetSchemaDef: MessageDef = m('CommandGetSchema', [
  { no: 1, name: 'request_id', type: 'uint64num', required: true },
  { no: 2, name: 'topic', type: 'string', required: true },
  { no: 3, name: 'schema_version', type: 'bytes' },
]);

export interface CommandGetSchemaResponse {
  request_id: number;
  error_code?: number;
  error_message?: string;
  schema?: ProtoSchema;
  schema_version?: Buffer;
}
export const CommandGetSchemaResponseDef: MessageDef = m('CommandGetSchemaResponse', [
  { no: 1, name: 'request_id', type: 'uint64num', required: true },
  { no: 2, name: 'error_code', type: 'enum' },
  { no: 3, name: 'error_message', type: 'string' },
  { no: 4, name: 'schema', type: 'message', message: () => SchemaDef },
  { no: 5, name: 'schema_version', type: 'bytes' },
]);

// ---------------------------------------------------------------------------------------
// Generic replies

export interface CommandSuccess {
  request_id: number;
  schema?: ProtoSchema;
}
export const CommandSuccessDef: MessageDef = m('CommandSuccess', [
  { no: 1, name: 'request_id', type: 'uint64num', required: true },
  { no: 2, name: 'schema', type: 'message', message: () => SchemaDef },
]);

export interface CommandError {
  request_id: number;
  error: number;
  message: string;
}
export const CommandErrorDef: MessageDef = m('CommandError', [
  { no: 1, name: 'request_id', type: 'uint64num', required: true },
  { no: 2, name: 'error', type: 'enum', required: true },
  { no: 3, name: 'message', type: 'string', required: true },
]);

export interface CommandTopicMigrated {
  resource_id: number;
  resource_type: number;
  brokerServiceUrl?: string;
  brokerServiceUrlTls?: string;
}
export const CommandTopicMigratedDef: MessageDef = m('CommandTopicMigrated', [
  { no: 1, name: 'resource_id', type: 'uint64num', required: true },
  { no: 2, name: 'resource_type', type: 'enum', required: true },
  { no: 3, name: 'brokerServiceUrl', type: 'string' },
  { no: 4, name: 'brokerServiceUrlTls', type: 'string' },
]);
