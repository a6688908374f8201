/**
 * What a dead letter says about itself: the one table of dead-letter property names (the
 * client's two plus what a miso service adds when it dead-letters a message itself) and the
 * one answer to "which topic did it come from", shared by tail, trace, the dashboard,
 * `miso dlq` and the service host.
 */
import { DEAD_LETTER_PROPERTIES } from '../../pulsar/index.js';
import { COMMAND_TOPICS, isTopicShortName, shortTopicName, type CommandTopic, type TopicShortName } from '../topics.js';

export const DLQ_PROPS = {
  ...DEAD_LETTER_PROPERTIES,
  /** Why a service gave up on the message (bad bytes, wrong type, out of retries). */
  reason: 'MISO_DEAD_LETTER_REASON',
  service: 'MISO_DEAD_LETTER_SERVICE',
  redeliveryCount: 'REDELIVERY_COUNT',
  /** Set on a replay: `<dead-letter topic>@<message id>` it was replayed from. */
  replayedFrom: 'MISO_REPLAYED_FROM',
} as const;

/** The bookkeeping a dead-letterer adds; a replay removes it to send the message as it was. */
export const DEAD_LETTER_BOOKKEEPING: readonly string[] = [
  DLQ_PROPS.realTopic,
  DLQ_PROPS.originMessageId,
  DLQ_PROPS.reason,
  DLQ_PROPS.service,
  DLQ_PROPS.redeliveryCount,
];

/** The full name of the topic a dead letter was consumed from (a partition suffix dropped), if it says. */
export function deadLetterOriginTopic(properties: Readonly<Record<string, string>>): string | undefined {
  const real = properties[DLQ_PROPS.realTopic];
  return real ? real.replace(/-partition-\d+$/, '') : undefined;
}

/**
 * The catalog topic a dead letter came from, so it decodes with that topic's envelope: the
 * origin property when it names a catalog topic, else the dead-letter topic's own name
 * (`<command topic>-<subscription>-DLQ`), else undefined.
 */
export function deadLetterOrigin(properties: Readonly<Record<string, string>>, dlqTopic?: string): TopicShortName | undefined {
  const origin = deadLetterOriginTopic(properties);
  if (origin !== undefined) {
    const short = shortTopicName(origin);
    if (isTopicShortName(short)) return short;
  }
  return dlqTopic !== undefined ? commandTopicOfDeadLetterTopic(dlqTopic) : undefined;
}

/** `…/tracking-commands-tracking-service-DLQ` → `tracking-commands`; undefined for any other name. */
export function commandTopicOfDeadLetterTopic(dlqTopic: string): CommandTopic | undefined {
  const short = shortTopicName(dlqTopic);
  if (!short.endsWith('-DLQ')) return undefined;
  return COMMAND_TOPICS.find((c) => short.startsWith(`${c}-`));
}

/** Why it was dead-lettered, when the dead-letterer said (a service's reason, else any property named like error or reason). */
export function deadLetterReason(properties: Readonly<Record<string, string>>): string | undefined {
  return properties[DLQ_PROPS.reason] ?? Object.entries(properties).find(([k]) => /error|reason/i.test(k))?.[1];
}
