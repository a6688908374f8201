/**
 * What a producer puts on the wire: a message waiting for its receipt, and the SEND frame of
 * one entry (a single message, or a batch of messages sharing one key).
 */
import type { MessageId } from '../message-id.js';
import { CommandType } from '../protocol/commands.js';
import type { KeyValue, MessageMetadata } from '../protocol/definitions.js';
import type { BatchMessage } from '../protocol/batch.js';
import { encodeBatchFrame, encodePayloadFrame } from '../protocol/frame.js';

/** A message waiting for its receipt; also the batch entry written on the wire. */
export interface PendingMessage extends BatchMessage {
  sequenceId: number;
  resolve: (id: MessageId) => void;
  reject: (err: Error) => void;
}

/** One entry on the wire: a single message or a batch. */
export interface OpSend {
  sequenceId: number;
  highestSequenceId: number;
  frame: Buffer;
  messages: PendingMessage[];
  batch: boolean;
  createdAt: number;
}

/** Who sends: the producer's id on the connection, its name and the schema version it writes with. */
export interface Sender {
  producerId: number;
  producerName: string;
  schemaVersion: Buffer | undefined;
}

function toKeyValues(props: Record<string, string> | undefined): KeyValue[] | undefined {
  if (!props) return undefined;
  const keys = Object.keys(props);
  if (keys.length === 0) return undefined;
  return keys.map((key) => ({ key, value: String(props[key]) }));
}

/** The entry of one unbatched message. */
export function singleEntry(from: Sender, m: PendingMessage): OpSend {
  const metadata: MessageMetadata = { producer_name: from.producerName, sequence_id: BigInt(m.sequenceId), publish_time: Date.now() };
  const props = toKeyValues(m.properties);
  if (props) metadata.properties = props;
  if (m.key !== undefined) metadata.partition_key = m.key;
  if (m.eventTime !== undefined) metadata.event_time = m.eventTime;
  if (from.schemaVersion) metadata.schema_version = from.schemaVersion;
  const frame = encodePayloadFrame({ type: CommandType.SEND, send: { producer_id: from.producerId, sequence_id: m.sequenceId } }, metadata, m.payload);
  return { sequenceId: m.sequenceId, highestSequenceId: m.sequenceId, frame, messages: [m], batch: false, createdAt: Date.now() };
}

/** The entry of a batch (non-empty, one key: the broker routes a whole entry by its key). */
export function batchEntry(from: Sender, items: PendingMessage[], key: string | undefined): OpSend {
  const first = items[0]!.sequenceId;
  const last = items[items.length - 1]!.sequenceId;
  const metadata: MessageMetadata = {
    producer_name: from.producerName,
    sequence_id: BigInt(first),
    publish_time: Date.now(),
    num_messages_in_batch: items.length,
    highest_sequence_id: BigInt(last),
  };
  if (key !== undefined) metadata.partition_key = key;
  if (from.schemaVersion) metadata.schema_version = from.schemaVersion;
  const frame = encodeBatchFrame(
    { type: CommandType.SEND, send: { producer_id: from.producerId, sequence_id: first, num_messages: items.length, highest_sequence_id: last } },
    metadata,
    items,
  );
  return { sequenceId: first, highestSequenceId: last, frame, messages: items, batch: true, createdAt: Date.now() };
}
