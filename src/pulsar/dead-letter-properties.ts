/**
 * The properties the consumer stamps on a message it dead-letters after its last
 * redelivery. Pulsar's own names, so the official clients and ours agree on where a dead
 * letter came from; everything above the client reads them from here.
 */
export const DEAD_LETTER_PROPERTIES = {
  /** Full name of the topic (or partition) the message was consumed from. */
  realTopic: 'REAL_TOPIC',
  /** Its message id there, "ledger:entry:partition:batch". */
  originMessageId: 'ORIGIN_MESSAGE_ID',
} as const;
