/**
 * BaseCommand: the envelope of every frame. It holds a `type` and exactly one sub-command
 * in the field whose number equals the type (CONNECT = 2 → field 2, ...).
 */
import * as d from './definitions.js';
import { defineMessage, type FieldDef, type MessageDef } from './protobuf.js';

export const CommandType = {
  CONNECT: 2,
  CONNECTED: 3,
  SUBSCRIBE: 4,
  PRODUCER: 5,
  SEND: 6,
  SEND_RECEIPT: 7,
  SEND_ERROR: 8,
  MESSAGE: 9,
  ACK: 10,
  FLOW: 11,
  UNSUBSCRIBE: 12,
  SUCCESS: 13,
  ERROR: 14,
  CLOSE_PRODUCER: 15,
  CLOSE_CONSUMER: 16,
  PRODUCER_SUCCESS: 17,
  PING: 18,
  PONG: 19,
  REDELIVER_UNACKNOWLEDGED_MESSAGES: 20,
  PARTITIONED_METADATA: 21,
  PARTITIONED_METADATA_RESPONSE: 22,
  LOOKUP: 23,
  LOOKUP_RESPONSE: 24,
  CONSUMER_STATS: 25,
  CONSUMER_STATS_RESPONSE: 26,
  REACHED_END_OF_TOPIC: 27,
  SEEK: 28,
  GET_LAST_MESSAGE_ID: 29,
  GET_LAST_MESSAGE_ID_RESPONSE: 30,
  ACTIVE_CONSUMER_CHANGE: 31,
  GET_TOPICS_OF_NAMESPACE: 32,
  GET_TOPICS_OF_NAMESPACE_RESPONSE: 33,
  GET_SCHEMA: 34,
  GET_SCHEMA_RESPONSE: 35,
  AUTH_CHALLENGE: 36,
  AUTH_RESPONSE: 37,
  ACK_RESPONSE: 38,
  GET_OR_CREATE_SCHEMA: 39,
  GET_OR_CREATE_SCHEMA_RESPONSE: 40,
  NEW_TXN: 50,
  NEW_TXN_RESPONSE: 51,
  ADD_PARTITION_TO_TXN: 52,
  ADD_PARTITION_TO_TXN_RESPONSE: 53,
  ADD_SUBSCRIPTION_TO_TXN: 54,
  ADD_SUBSCRIPTION_TO_TXN_RESPONSE: 55,
  END_TXN: 56,
  END_TXN_RESPONSE: 57,
  END_TXN_ON_PARTITION: 58,
  END_TXN_ON_PARTITION_RESPONSE: 59,
  END_TXN_ON_SUBSCRIPTION: 60,
  END_TXN_ON_SUBSCRIPTION_RESPONSE: 61,
  TC_CLIENT_CONNECT_REQUEST: 62,
  TC_CLIENT_CONNECT_RESPONSE: 63,
  WATCH_TOPIC_LIST: 64,
  WATCH_TOPIC_LIST_SUCCESS: 65,
  WATCH_TOPIC_UPDATE: 66,
  WATCH_TOPIC_LIST_CLOSE: 67,
  TOPIC_MIGRATED: 68,
} as const;

export type CommandTypeName = keyof typeof CommandType;

const typeNames: Record<number, CommandTypeName> = Object.fromEntries(Object.entries(CommandType).map(([k, v]) => [v, k as CommandTypeName]));

/** Name of a command type number, or undefined when the protocol defines no such type. */
export function commandTypeName(type: number): CommandTypeName | undefined {
  return typeNames[type];
}

export interface BaseCommand {
  type: number;
  connect?: d.CommandConnect;
  connected?: d.CommandConnected;
  subscribe?: d.CommandSubscribe;
  producer?: d.CommandProducer;
  send?: d.CommandSend;
  send_receipt?: d.CommandSendReceipt;
  send_error?: d.CommandSendError;
  message?: d.CommandMessage;
  ack?: d.CommandAck;
  flow?: d.CommandFlow;
  unsubscribe?: d.CommandUnsubscribe;
  success?: d.CommandSuccess;
  error?: d.CommandError;
  close_producer?: d.CommandCloseProducer;
  close_consumer?: d.CommandCloseConsumer;
  producer_success?: d.CommandProducerSuccess;
  ping?: Record<string, never>;
  pong?: Record<string, never>;
  redeliverUnacknowledgedMessages?: d.CommandRedeliverUnacknowledgedMessages;
  partitionMetadata?: d.CommandPartitionedTopicMetadata;
  partitionMetadataResponse?: d.CommandPartitionedTopicMetadataResponse;
  lookupTopic?: d.CommandLookupTopic;
  lookupTopicResponse?: d.CommandLookupTopicResponse;
  reachedEndOfTopic?: d.CommandReachedEndOfTopic;
  seek?: d.CommandSeek;
  getLastMessageId?: d.CommandGetLastMessageId;
  getLastMessageIdResponse?: d.CommandGetLastMessageIdResponse;
  active_consumer_change?: d.CommandActiveConsumerChange;
  getSchema?: d.CommandGetSchema;
  getSchemaResponse?: d.CommandGetSchemaResponse;
  authChallenge?: d.CommandAuthChallenge;
  authResponse?: d.CommandAuthResponse;
  ackResponse?: d.CommandAckResponse;
  topicMigrated?: d.CommandTopicMigrated;
}

/** Sub-command field of BaseCommand for each type we encode or decode. */
const subFields: FieldDef[] = [
  { no: 2, name: 'connect', type: 'message', message: () => d.CommandConnectDef },
  { no: 3, name: 'connected', type: 'message', message: () => d.CommandConnectedDef },
  { no: 4, name: 'subscribe', type: 'message', message: () => d.CommandSubscribeDef },
  { no: 5, name: 'producer', type: 'message', message: () => d.CommandProducerDef },
  { no: 6, name: 'send', type: 'message', message: () => d.CommandSendDef },
  { no: 7, name: 'send_receipt', type: 'message', message: () => d.CommandSendReceiptDef },
  { no: 8, name: 'send_error', type: 'message', message: () => d.CommandSendErrorDef },
  { no: 9, name: 'message', type: 'message', message: () => d.CommandMessageDef },
  { no: 10, name: 'ack', type: 'message', message: () => d.CommandAckDef },
  { no: 11, name: 'flow', type: 'message', message: () => d.CommandFlowDef },
  { no: 12, name: 'unsubscribe', type: 'message', message: () => d.CommandUnsubscribeDef },
  { no: 13, name: 'success', type: 'message', message: () => d.CommandSuccessDef },
  { no: 14, name: 'error', type: 'message', message: () => d.CommandErrorDef },
  { no: 15, name: 'close_producer', type: 'message', message: () => d.CommandCloseProducerDef },
  { no: 16, name: 'close_consumer', type: 'message', message: () => d.CommandCloseConsumerDef },
  { no: 17, name: 'producer_success', type: 'message', message: () => d.CommandProducerSuccessDef },
  { no: 18, name: 'ping', type: 'message', message: () => d.EmptyDef },
  { no: 19, name: 'pong', type: 'message', message: () => d.EmptyDef },
  { no: 20, name: 'redeliverUnacknowledgedMessages', type: 'message', message: () => d.CommandRedeliverUnacknowledgedMessagesDef },
  { no: 21, name: 'partitionMetadata', type: 'message', message: () => d.CommandPartitionedTopicMetadataDef },
  { no: 22, name: 'partitionMetadataResponse', type: 'message', message: () => d.CommandPartitionedTopicMetadataResponseDef },
  { no: 23, name: 'lookupTopic', type: 'message', message: () => d.CommandLookupTopicDef },
  { no: 24, name: 'lookupTopicResponse', type: 'message', message: () => d.CommandLookupTopicResponseDef },
  { no: 27, name: 'reachedEndOfTopic', type: 'message', message: () => d.CommandReachedEndOfTopicDef },
  { no: 28, name: 'seek', type: 'message', message: () => d.CommandSeekDef },
  { no: 29, name: 'getLastMessageId', type: 'message', message: () => d.CommandGetLastMessageIdDef },
  { no: 30, name: 'getLastMessageIdResponse', type: 'message', message: () => d.CommandGetLastMessageIdResponseDef },
  { no: 31, name: 'active_consumer_change', type: 'message', message: () => d.CommandActiveConsumerChangeDef },
  { no: 34, name: 'getSchema', type: 'message', message: () => d.CommandGetSchemaDef },
  { no: 35, name: 'getSchemaResponse', type: 'message', message: () => d.CommandGetSchemaResponseDef },
  { no: 36, name: 'authChallenge', type: 'message', message: () => d.CommandAuthChallengeDef },
  { no: 37, name: 'authResponse', type: 'message', message: () => d.CommandAuthResponseDef },
  { no: 38, name: 'ackResponse', type: 'message', message: () => d.CommandAckResponseDef },
  { no: 68, name: 'topicMigrated', type: 'message', message: () => d.CommandTopicMigratedDef },
];

export const BaseCommandDef: MessageDef = defineMessage('BaseCommand', [{ no: 1, name: 'type', type: 'enum', required: true }, ...subFields]);

/** Field name that carries the sub-command of a given type (undefined: a type we do not decode). */
export function subCommandField(type: number): keyof BaseCommand | undefined {
  const f = BaseCommandDef.byNo[type];
  return f && f.no !== 1 ? (f.name as keyof BaseCommand) : undefined;
}
