/**
 * Turning one delivered entry into messages: decompress it, then either wrap the single
 * message or split the batch into its messages. Pure: the caller delivers the messages,
 * returns permits and acknowledges entries that cannot be read.
 *
 * Inside a batch, messages the broker already has as acknowledged (its ack_set), messages
 * compacted away and messages before a reader's start are skipped; they count as
 * acknowledged for the entry (the batch's shared BatchAckState), so acknowledging the rest
 * acknowledges the entry.
 */
import { MessageId, type BatchAckState } from '../message-id.js';
import { AckValidationError, type CommandMessage } from '../protocol/definitions.js';
import { decompress } from '../protocol/compression.js';
import { BatchEntryCursor } from '../protocol/batch.js';
import type { PayloadSection } from '../protocol/frame.js';
import { ReceivedMessage } from '../received-message.js';

export interface EntrySource {
  topic: string;
  /** Partition index of the topic (-1 when not partitioned). */
  partition: number;
  /** Messages to leave out (a reader's start position); they count as acknowledged. */
  skip?: (id: MessageId) => boolean;
}

export type EntryResult =
  | { ok: true; messages: ReceivedMessage[]; /** Messages left out: their permits go back to the broker. */ skipped: number }
  | { ok: false; reason: string; /** For the ACK that discards the entry. */ validationError: number; /** Permits the entry used. */ permits: number };

/** Bit `i` of a java.util.BitSet serialised as longs. */
export function bitSet(words: readonly bigint[], i: number): boolean {
  const w = words[i >> 6];
  if (w === undefined) return false;
  return ((BigInt.asUintN(64, w) >> BigInt(i & 63)) & 1n) === 1n;
}

export function receiveEntry(cmd: CommandMessage, section: PayloadSection, src: EntrySource): EntryResult {
  const md = section.metadata;
  const idData = cmd.message_id;
  const redeliveryCount = cmd.redelivery_count ?? 0;
  let payload = section.payload;
  if (md.compression) {
    try {
      payload = decompress(md.compression, payload, md.uncompressed_size ?? 0);
    } catch (err) {
      return {
        ok: false,
        reason: `an undecodable message: ${(err as Error).message}`,
        validationError: AckValidationError.DecompressionError,
        permits: md.num_messages_in_batch ?? 1,
      };
    }
  }
  const schemaVersion = md.schema_version && md.schema_version.length > 0 ? md.schema_version : undefined;

  if (md.num_messages_in_batch === undefined) {
    const id = new MessageId(idData.ledgerId, idData.entryId, src.partition, -1);
    if (src.skip?.(id)) return { ok: true, messages: [], skipped: 1 };
    const m = new ReceivedMessage(id, src.topic, payload, md.publish_time, redeliveryCount, md.producer_name, md.properties, 0, 0, md.sequence_id, 0);
    if (md.partition_key !== undefined) m.key = md.partition_key;
    if (md.event_time) m.eventTime = md.event_time;
    if (schemaVersion) m.schemaVersion = schemaVersion;
    return { ok: true, messages: [m], skipped: 0 };
  }

  const n = md.num_messages_in_batch;
  // Every entry takes at least six bytes (its size and payload_size): a count the payload
  // cannot hold is a lie, refused before anything is sized by it.
  if (!Number.isInteger(n) || n < 0 || n * 6 > payload.length) {
    return {
      ok: false,
      reason: `a batch that claims ${n} messages in ${payload.length} bytes`,
      validationError: AckValidationError.BatchDeSerializeError,
      permits: 1,
    };
  }
  const ackSet = cmd.ack_set;
  const state: BatchAckState = { remaining: 0, acked: new Uint8Array(n) };
  let skipped = 0;
  const messages: ReceivedMessage[] = [];
  // Nothing is returned until the whole batch has been read: a bad entry drops all of it.
  const e = new BatchEntryCursor(payload, n);
  try {
    while (e.next()) {
      const i = e.index;
      const id = new MessageId(idData.ledgerId, idData.entryId, src.partition, i, n);
      if ((ackSet && ackSet.length > 0 && !bitSet(ackSet, i)) || e.compactedOut || src.skip?.(id)) {
        state.acked[i] = 1;
        skipped++;
        continue;
      }
      id.batchAck = state;
      state.remaining++;
      const m = new ReceivedMessage(
        id,
        src.topic,
        e.payload,
        md.publish_time,
        redeliveryCount,
        md.producer_name,
        e.hasProperties ? payload : undefined,
        e.metaStart,
        e.metaEnd,
        e.sequenceId ?? md.sequence_id,
        e.sequenceId === undefined ? i : 0,
      );
      if (e.partitionKey !== undefined) m.key = e.partitionKey;
      const et = e.eventTime ?? md.event_time;
      if (et) m.eventTime = et;
      if (schemaVersion) m.schemaVersion = schemaVersion;
      messages.push(m);
    }
  } catch (err) {
    return { ok: false, reason: `an undecodable batch: ${(err as Error).message}`, validationError: AckValidationError.BatchDeSerializeError, permits: n };
  }
  return { ok: true, messages, skipped };
}
