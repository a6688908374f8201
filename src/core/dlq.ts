/**
 * Dead letters: the messages a service gave up on, read back from the dead-letter topics of
 * the four command subscriptions, decoded with the schema they were written with, and replayed
 * to the topic they came from.
 *
 * Two ways in: the client's dead-letter policy (a command still failing after its last
 * redelivery: properties REAL_TOPIC, ORIGIN_MESSAGE_ID) and the services themselves (bytes that
 * do not decode, a type not meant for the topic, out of retries; they add
 * MISO_DEAD_LETTER_REASON and REDELIVERY_COUNT). A replay republishes the same bytes (so the
 * same command id and correlation id: the workflow's trace shows the retry) with the same key;
 * it is safe to repeat because a service handles a command id once.
 */
import { MisoError, UsageError } from '../errors.js';
import { SERVICES, type ServiceName } from '../config/index.js';
import type { Message, Producer, PulsarClient } from '../pulsar/index.js';
import { TopicNotFoundError } from '../pulsar/index.js';
import { isTopicShortName, shortTopicName, topicSchemaInfo, type AnyEnvelope, type TopicShortName } from './catalog/index.js';
import { MessageDecoder, type TailSource } from './read/decoder.js';
import { deadLetterTopic, serviceSubscription, topicName, type TopicScope } from './topics.js';
import { DEAD_LETTER_BOOKKEEPING, DLQ_PROPS, deadLetterOriginTopic } from './read/dead-letter.js';
import { readReplayMarks, replayMarkOf, type ReplayMark } from './dlq/marks.js';
import { findGroup, groupDeadLetters, type DeadLetterGroup } from './dlq/groups.js';
import { sleep } from '../util/wait.js';

export { DLQ_PROPS };
export { groupDeadLetters, findGroup, normaliseError, type DeadLetterGroup } from './dlq/groups.js';
export { ReplayFollower, type FollowedReplay, type ReplayOutcome } from './dlq/follow.js';
export type { ReplayMark } from './dlq/marks.js';

export interface DeadLetter {
  /** Message id on the dead-letter topic: how `show` and `replay` name it. */
  id: string;
  dlqTopic: string;
  service: ServiceName;
  deadLetteredAt: number;
  originTopic: string | undefined;
  originMessageId: string | undefined;
  /** Redeliveries before it was dead-lettered, when the one who dead-lettered it said. */
  redeliveryCount: number | undefined;
  lastError: string;
  key: string | undefined;
  properties: Record<string, string>;
  envelope: AnyEnvelope | undefined;
  decodeError: string | undefined;
  /** The message as read, for replay. */
  raw: Message;
  /** Replays of it found on its origin topic (empty: never replayed). */
  replayed: ReplayMark[];
}

export interface ListOptions {
  services?: readonly ServiceName[];
  /** Only dead letters newer than this (ms since epoch). */
  since?: number;
}

export function deadLetterTopicOf(scope: TopicScope, service: ServiceName): string {
  return deadLetterTopic(topicName(scope, `${service}-commands`), serviceSubscription(service));
}

/** Every dead letter of the chosen services, oldest first. */
export async function listDeadLetters(client: PulsarClient, scope: TopicScope, opts: ListOptions = {}): Promise<DeadLetter[]> {
  const decoder = new MessageDecoder(client);
  const services = opts.services ?? SERVICES;
  const perTopic = await Promise.all(
    services.map(async (service) => {
      const topic = deadLetterTopicOf(scope, service);
      const source: TailSource = { topic, decodeAs: `${service}-commands`, deadLetter: true, optional: true };
      let reader;
      try {
        reader = await client.createReader({ topic, start: opts.since ? { publishTime: opts.since } : 'earliest', receiverQueueSize: 1000 });
      } catch (err) {
        if (err instanceof TopicNotFoundError) return [];
        throw err;
      }
      const out: DeadLetter[] = [];
      try {
        while (await reader.hasMessageAvailable()) {
          const m = await reader.readNext(10_000);
          if (!m) break;
          let t = decoder.decode(m, source);
          if (t instanceof Promise) t = await t;
          out.push(toDeadLetter(m, service, topic, t.envelope && !t.error ? t.envelope : undefined, t.error));
        }
      } finally {
        await reader.close().catch(() => {});
      }
      return out;
    }),
  );
  const letters = perTopic.flat().sort((a, b) => a.deadLetteredAt - b.deadLetteredAt);
  if (letters.length > 0) {
    // A replay is always later than its dead letter: the markers are newer than the oldest one.
    const marks = await readReplayMarks(client, scope, [...new Set(letters.map((d) => d.service))], letters[0]!.deadLetteredAt);
    for (const d of letters) d.replayed = marks.get(replayMarkOf(d.dlqTopic, d.id)) ?? [];
  }
  return letters;
}

function toDeadLetter(m: Message, service: ServiceName, dlqTopic: string, envelope: AnyEnvelope | undefined, decodeError: string | undefined): DeadLetter {
  const p = m.properties;
  const count = p[DLQ_PROPS.redeliveryCount];
  return {
    id: m.messageId.toString(),
    dlqTopic,
    service,
    deadLetteredAt: m.publishTime,
    originTopic: p[DLQ_PROPS.realTopic],
    originMessageId: p[DLQ_PROPS.originMessageId],
    redeliveryCount: count !== undefined && /^\d+$/.test(count) ? Number(count) : undefined,
    lastError: p[DLQ_PROPS.reason] ?? 'still failing after its last redelivery (dead-lettered by the consumer)',
    key: m.key,
    properties: p,
    envelope,
    decodeError,
    raw: m,
    replayed: [],
  };
}

/**
 * The dead letter `ref` names: its dead-letter message id, the command's envelope id, or a
 * unique prefix of either (at least 6 characters).
 */
export function findDeadLetter(letters: readonly DeadLetter[], ref: string): DeadLetter {
  const r = ref.trim();
  const exact = letters.filter((d) => d.id === r || d.envelope?.id === r);
  if (exact.length >= 1) return exact.at(-1)!;
  const prefixed = r.length >= 6 ? letters.filter((d) => d.id.startsWith(r) || d.envelope?.id.startsWith(r)) : [];
  const distinct = new Set(prefixed.map((d) => d.id));
  if (distinct.size === 1) return prefixed[0]!;
  if (distinct.size > 1) {
    throw new UsageError(`"${ref}" matches ${distinct.size} dead letters`, { hint: 'Give more of the id (`miso dlq list` shows them).' });
  }
  throw new UsageError(`no dead letter "${ref}"`, {
    hint: letters.length ? 'Run `miso dlq list` for the ids.' : 'The dead-letter topics are empty (or --since is too short).',
  });
}

export interface ReplayResult {
  id: string;
  service: ServiceName;
  to: string;
  type: string | undefined;
  correlationId: string | undefined;
  /** Message id on the origin topic; undefined on a dry run. */
  messageId: string | undefined;
  /** The command id (envelope id), when the dead letter decoded. */
  commandId: string | undefined;
  /** When the replay was confirmed by the broker (ms). */
  sentAt?: number;
}

export interface ReplaySelection {
  /** The frozen set to replay, fixed before anything is sent. */
  chosen: DeadLetter[];
  /** Left out because they were replayed before (pass `again` to include them). */
  alreadyReplayed: DeadLetter[];
  /** When the snapshot was taken. */
  snapshotAt: number;
  group?: DeadLetterGroup<DeadLetter>;
}

/**
 * What a replay will send: one dead letter (`id`), one group, or all; the dead letters
 * replayed before only with `again`. The list it picks from is read once, so dead letters
 * that arrive while the replay runs (its own failures among them) are not swept in.
 */
export function selectForReplay(letters: readonly DeadLetter[], sel: { id?: string; group?: string; all?: boolean; again?: boolean }): ReplaySelection {
  const snapshotAt = Date.now();
  if (sel.id) {
    const d = findDeadLetter(letters, sel.id);
    if (d.replayed.length && !sel.again) {
      throw new UsageError(`dead letter ${d.id} was replayed already (${new Date(d.replayed.at(-1)!.at).toISOString()})`, {
        hint: 'Pass --again to replay it once more.',
      });
    }
    return { chosen: [d], alreadyReplayed: [], snapshotAt };
  }
  let pool: readonly DeadLetter[] = letters;
  let group: DeadLetterGroup<DeadLetter> | undefined;
  if (sel.group) {
    const groups = groupDeadLetters(letters);
    group = findGroup(groups, sel.group);
    if (!group)
      throw new UsageError(`no dead-letter group "${sel.group}"`, {
        hint: groups.length ? 'Run `miso dlq groups` for the group ids.' : 'The dead-letter topics are empty (or --since is too short).',
      });
    pool = group.letters;
  }
  const alreadyReplayed = sel.again ? [] : pool.filter((d) => d.replayed.length > 0);
  const chosen = sel.again ? [...pool] : pool.filter((d) => d.replayed.length === 0);
  return { chosen, alreadyReplayed, snapshotAt, ...(group ? { group } : {}) };
}

/**
 * Republish dead letters to the topics they came from: same bytes, key and application
 * properties (dead-letter bookkeeping removed, MISO_REPLAYED_FROM added). With `dryRun`,
 * checks and reports without sending. All targets are checked before anything is sent.
 */
export interface ReplayOptions {
  dryRun?: boolean;
  /** At most this many per second. */
  rate?: number;
  onProgress?: (p: { sent: number; total: number; elapsedMs: number }) => void;
  /** Stops between two sends (what was sent stays sent). */
  signal?: AbortSignal;
}

export async function replayDeadLetters(
  client: PulsarClient,
  scope: TopicScope,
  letters: readonly DeadLetter[],
  opts: ReplayOptions = {},
): Promise<ReplayResult[]> {
  const plan = letters.map((d) => {
    const origin = deadLetterOriginTopic(d.properties) ?? topicName(scope, `${d.service}-commands`);
    const short = shortTopicName(origin);
    if (!isTopicShortName(short))
      throw new MisoError(`dead letter ${d.id} came from ${origin}, which is not a miso topic`, { hint: 'Replay it by hand with `miso send --file`.' });
    return { d, origin, short };
  });
  if (opts.dryRun) return plan.map(({ d, origin }) => result(d, origin, undefined));

  const producers = new Map<string, Promise<Producer>>();
  const producerFor = (d: DeadLetter, origin: string, short: TopicShortName): Promise<Producer> => {
    const version = d.raw.schemaVersion?.toString('hex') ?? '';
    const k = `${origin}|${version}`;
    let p = producers.get(k);
    if (!p) {
      p = (async () => {
        // The schema the bytes were written with, so readers decode the replay exactly like the original.
        const schema = d.raw.schemaVersion?.length ? await client.getSchema(d.dlqTopic, d.raw.schemaVersion) : undefined;
        return client.createProducer({ topic: origin, schema: schema ?? topicSchemaInfo(short), batching: false });
      })();
      producers.set(k, p);
    }
    return p;
  };
  const results: ReplayResult[] = [];
  const started = Date.now();
  const interval = opts.rate ? 1000 / opts.rate : 0;
  try {
    for (const [i, { d, origin, short }] of plan.entries()) {
      if (opts.signal?.aborted) break;
      if (interval) {
        const wait = started + i * interval - Date.now();
        if (wait > 1) await sleep(wait, opts.signal).catch(() => {});
        if (opts.signal?.aborted) break;
      }
      const producer = await producerFor(d, origin, short);
      const properties = { ...d.properties };
      for (const k of DEAD_LETTER_BOOKKEEPING) delete properties[k];
      properties[DLQ_PROPS.replayedFrom] = replayMarkOf(d.dlqTopic, d.id);
      const id = await producer.send({
        payload: d.raw.payload,
        properties,
        ...(d.key !== undefined ? { key: d.key } : {}),
        ...(d.raw.eventTime !== undefined ? { eventTime: d.raw.eventTime } : {}),
      });
      results.push({ ...result(d, origin, id.toString()), sentAt: Date.now() });
      opts.onProgress?.({ sent: results.length, total: plan.length, elapsedMs: Date.now() - started });
    }
  } finally {
    await Promise.all([...producers.values()].map(async (p) => (await p.catch(() => undefined))?.close().catch(() => {})));
  }
  return results;
}

function result(d: DeadLetter, to: string, messageId: string | undefined): ReplayResult {
  return {
    id: d.id,
    service: d.service,
    to,
    type: d.envelope?.type ?? d.properties.type,
    correlationId: d.envelope?.correlation_id ?? d.properties.correlation_id,
    messageId,
    commandId: d.envelope?.id ?? d.properties.id,
  };
}

/** JSON shape of a dead letter (no raw bytes; the payload base64 when it did not decode). */
export function deadLetterJson(d: DeadLetter): Record<string, unknown> {
  return {
    id: d.id,
    service: d.service,
    dlq_topic: d.dlqTopic,
    dead_lettered_at: new Date(d.deadLetteredAt).toISOString(),
    origin_topic: d.originTopic ?? null,
    origin_message_id: d.originMessageId ?? null,
    redelivery_count: d.redeliveryCount ?? null,
    last_error: d.lastError,
    key: d.key ?? null,
    type: d.envelope?.type ?? d.properties.type ?? null,
    correlation_id: d.envelope?.correlation_id ?? d.properties.correlation_id ?? null,
    envelope: d.envelope ?? null,
    decode_error: d.decodeError ?? null,
    replayed: d.replayed.map((r) => ({ at: new Date(r.at).toISOString(), message_id: r.messageId })),
    ...(d.envelope ? {} : { payload_base64: d.raw.payload.toString('base64') }),
    properties: d.properties,
  };
}
