/**
 * Which dead letters were replayed already. A replay publishes the dead letter back to its
 * origin topic with MISO_REPLAYED_FROM = `<dead-letter topic>@<message id>`; that copy on the
 * command topic is the marker (kept as long as the topic's retention keeps it), so the
 * answer comes from what is on the topics, not from a local file another machine cannot see.
 */
import type { ServiceName } from '../../config/index.js';
import type { PulsarClient } from '../../pulsar/index.js';
import { TopicNotFoundError } from '../../pulsar/index.js';
import { shortTopicName, topicName, commandTopicOf, type TopicScope } from '../topics.js';
import { DLQ_PROPS } from '../read/dead-letter.js';

export interface ReplayMark {
  /** When the replayed copy was published. */
  at: number;
  /** Its message id on the origin topic. */
  messageId: string;
}

/** The value a replay stamps in MISO_REPLAYED_FROM, and the key of `readReplayMarks`. */
export function replayMarkOf(dlqTopic: string, deadLetterId: string): string {
  return `${shortTopicName(dlqTopic)}@${deadLetterId}`;
}

/** The replay markers on the command topics of `services`, published after `since`. */
export async function readReplayMarks(
  client: PulsarClient,
  scope: TopicScope,
  services: readonly ServiceName[],
  since: number,
): Promise<Map<string, ReplayMark[]>> {
  const marks = new Map<string, ReplayMark[]>();
  await Promise.all(
    services.map(async (service) => {
      let reader;
      try {
        reader = await client.createReader({ topic: topicName(scope, commandTopicOf(service)), start: { publishTime: since }, receiverQueueSize: 2000 });
      } catch (err) {
        if (err instanceof TopicNotFoundError) return;
        throw err;
      }
      try {
        while (await reader.hasMessageAvailable()) {
          const m = reader.readQueued() ?? (await reader.readNext(10_000));
          if (!m) break;
          const from = m.properties[DLQ_PROPS.replayedFrom];
          if (!from) continue;
          const list = marks.get(from) ?? [];
          list.push({ at: m.publishTime, messageId: m.messageId.toString() });
          marks.set(from, list);
        }
      } finally {
        await reader.close().catch(() => {});
      }
    }),
  );
  return marks;
}
