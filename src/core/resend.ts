/**
 * `miso send --from`: a message taken off the topics as the template of a new one. Found by
 * its envelope id (what `miso tail` prints after `--from`), its Pulsar message id, or a
 * correlation id plus a message type; then `--set field=value` overrides, coerced and
 * validated exactly as `miso send --field value` is, fresh ids, and it is sent like any other.
 */
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { PulsarClient } from '../pulsar/index.js';
import { propertyOf } from '../pulsar/index.js';
import {
  PROPERTY,
  ValidationError,
  nearest,
  parseFieldFlags,
  specOf,
  validate,
  withDefaults,
  withGeneratedIds,
  resolveMessageType,
  type AnyEnvelope,
  type MessageType,
} from './catalog/index.js';
import { MessageDecoder, type TailedMessage } from './read/decoder.js';
import { workflowSources } from './read/query.js';
import { openReaders } from './tail.js';
import { shortTopicName, type TopicScope } from './topics.js';

const MESSAGE_ID = /^(?:(.+)@)?(-?\d+:-?\d+(?::-?\d+){0,2})$/;

export interface CapturedRef {
  /** Envelope id, Pulsar message id (`[topic@]ledger:entry[:partition[:batch]]`), or a correlation id with `type`. */
  ref: string;
  /** With a correlation id: which message of the workflow. */
  type?: string;
  /** Only look at messages newer than this (ms since epoch). */
  since?: number;
}

/** The message a reference names, decoded; a UsageError when there is none. */
export async function findCaptured(client: PulsarClient, scope: TopicScope, q: CapturedRef): Promise<TailedMessage> {
  const ref = q.ref.trim();
  const byMessageId = MESSAGE_ID.exec(ref);
  const type = q.type ? resolveMessageType(q.type).type : undefined;
  const topicWanted = byMessageId?.[1] ? shortTopicName(byMessageId[1]) : undefined;
  const wanted = byMessageId ? normaliseMessageId(byMessageId[2]!) : undefined;
  const sources = workflowSources(scope).filter((s) => !topicWanted || shortTopicName(s.topic) === topicWanted);
  const readers = await openReaders(client, sources, q.since ? { publishTime: q.since } : 'earliest', { receiverQueueSize: 2000 });
  const decoder = new MessageDecoder(client);
  const found: TailedMessage[] = [];
  try {
    await Promise.all(
      readers.map(async ({ reader, source }) => {
        while (await reader.hasMessageAvailable()) {
          const m = reader.readQueued() ?? (await reader.readNext(10_000));
          if (!m) break;
          const hit =
            wanted !== undefined
              ? normaliseMessageId(m.messageId.toString()) === wanted
              : type
                ? propertyOf(m, PROPERTY.correlationId) === ref && propertyOf(m, PROPERTY.type) === type
                : propertyOf(m, PROPERTY.id) === ref;
          if (!hit) continue;
          let t = decoder.decode(m, source);
          if (t instanceof Promise) t = await t;
          found.push(t);
        }
      }),
    );
  } finally {
    await Promise.all(readers.map((o) => o.reader.close().catch(() => {})));
  }
  // The original before its dead-letter or replayed copies; with a workflow, its first message of the type.
  const decoded = found
    .filter((t) => t.envelope && !t.error)
    .sort((a, b) => Number(a.deadLetter ?? false) - Number(b.deadLetter ?? false) || a.publishTime - b.publishTime);
  if (decoded.length === 0) {
    const what = type
      ? `no ${type} in workflow ${ref}`
      : wanted !== undefined
        ? `no message ${ref} on the catalog and dead-letter topics`
        : `no message with id ${ref}`;
    const hint = found.length
      ? 'It is there but does not decode; see it with `miso tail --json`.'
      : 'Copy the reference `miso tail` prints after --from (or give a correlation id with --type).';
    throw new UsageError(found.length ? `${what} that decodes` : what, { hint });
  }
  if (wanted !== undefined && !topicWanted && new Set(decoded.map((d) => d.topic)).size > 1) {
    throw new UsageError(`message id ${ref} is on several topics (${[...new Set(decoded.map((d) => shortTopicName(d.topic)))].join(', ')})`, {
      hint: 'Name the topic: --from <topic>@<message id>.',
    });
  }
  return decoded[0]!;
}

function normaliseMessageId(id: string): string {
  // `1:2` and `1:2:-1:-1` name the same unbatched message.
  const parts = id.split(':');
  while (parts.length < 4) parts.push('-1');
  return parts.join(':');
}

export interface ResendOptions {
  /** `field=value` overrides of payload fields. */
  set?: readonly string[];
  /** Keep the workflow: same correlation and causation id. */
  sameCorrelation?: boolean;
  /** Keep the id fields a sender may leave out (campaign_id of a create…) instead of fresh ones. */
  keepIds?: boolean;
  /** Envelope id for the new message (default: a fresh one). */
  id?: string;
}

/** The new envelope: the captured payload with the overrides, validated; refused (exit 2) before anything is sent. */
export function resendEnvelope(captured: AnyEnvelope, opts: ResendOptions = {}): AnyEnvelope {
  const type = captured.type as MessageType;
  const tokens = (opts.set ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--set "${s}" is not field=value`, {
        hint: `For example --set amount_minor=500 (fields: \`miso schemas show ${specOf(type)?.short ?? type}\`).`,
      });
    return `--${s.slice(0, eq).trim()}=${s.slice(eq + 1)}`;
  });
  const { payload: overrides, problems } = parseFieldFlags(type, tokens);
  if (problems.length) {
    const p = problems[0]!;
    const names = Object.keys(captured.payload as object);
    const guess = p.got === 'unknown field' ? (nearest(p.path, names) ?? names.find((n) => n.startsWith(p.path))) : undefined;
    const message =
      p.got === 'unknown field'
        ? `--set ${p.path}: ${type} has no field ${p.path}${guess ? ` — did you mean ${guess}?` : ` (fields: ${names.join(', ')})`}`
        : `--set ${p.path}: must be ${p.expected}, got ${p.got}`;
    throw new ValidationError(message, problems, { hint: `Nothing was sent. See the fields with \`miso schemas show ${specOf(type)?.short ?? type}\`.` });
  }
  const base = { ...(captured.payload as unknown as Record<string, unknown>) };
  if (!opts.keepIds) for (const f of specOf(type)?.generatedIds ?? []) if (!(f in overrides)) delete base[f];
  const payload = withDefaults(type, withGeneratedIds(type, { ...base, ...overrides }));
  const invalid = validate(type, payload);
  if (invalid.length) throw new ValidationError(`invalid ${type}: ${invalid[0]!.message}`, invalid, { hint: 'Nothing was sent. Fix the --set value.' });
  const id = opts.id ?? randomUUID();
  return {
    id,
    type,
    timestamp: Date.now(),
    correlation_id: opts.sameCorrelation ? captured.correlation_id : id,
    causation_id: opts.sameCorrelation ? (captured.causation_id ?? null) : null,
    payload,
  } as unknown as AnyEnvelope;
}
