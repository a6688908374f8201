/**
 * What people type to choose what the read path reads: `--from`/`--since` (where readers
 * start), `--where` (payload filters), and the topics or message types `miso tail` names.
 * Pure: no broker.
 */
import { UsageError } from '../../errors.js';
import {
  EVENT_TOPICS,
  COMMAND_TOPICS,
  findSpec,
  isTopicShortName,
  shortTopicName,
  topicName,
  resolveMessageType,
  type AnyEnvelope,
  type TopicShortName,
} from '../catalog/index.js';
import { deadLetterTopics } from '../topics.js';
import { commandTopicOfDeadLetterTopic } from './dead-letter.js';
import type { TailSource } from './decoder.js';
import { parseDuration } from './duration.js';

export type StartPosition = 'earliest' | 'latest' | { publishTime: number };

/** `--from earliest|latest|<ISO time>` or `--since <duration>` → where the readers start. */
export function parseStart(opts: { from?: string; since?: string }, now: number, fallback: StartPosition): StartPosition {
  if (opts.from !== undefined && opts.since !== undefined)
    throw new UsageError('give --from or --since, not both', { hint: '--since 10m is the same as --from <ten minutes ago>.' });
  if (opts.since !== undefined) return { publishTime: now - parseDuration(opts.since) };
  if (opts.from === undefined) return fallback;
  const f = opts.from.trim();
  if (f === 'earliest' || f === 'latest') return f;
  const ms = /^\d{4}-\d\d-\d\d/.test(f) ? Date.parse(f) : NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--from "${opts.from}" is not earliest, latest or a time`, {
      hint: 'Give an ISO time such as 2025-06-01T12:00:00Z, or use --since 10m.',
    });
  return { publishTime: ms };
}

export interface WhereClause {
  path: string[];
  value: string;
  text: string;
}

/** `--where payload.event_type=conversion` or `event_type=conversion` (paths are into the payload). */
export function parseWhere(items: readonly string[]): WhereClause[] {
  return items.map((text) => {
    const eq = text.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--where "${text}" is not field=value`, { hint: 'For example --where event_type=conversion or --where payload.campaign_id=c1.' });
    let path = text.slice(0, eq).trim().split('.');
    if (path[0] === 'payload' && path.length > 1) path = path.slice(1);
    return { path, value: text.slice(eq + 1), text };
  });
}

function lookup(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function matchesWhere(env: AnyEnvelope, where: readonly WhereClause[]): boolean {
  for (const w of where) {
    const v =
      w.path.length === 1 && ['id', 'type', 'correlation_id', 'causation_id'].includes(w.path[0]!) && !(w.path[0]! in (env.payload as object))
        ? (env as unknown as Record<string, unknown>)[w.path[0]!]
        : lookup(env.payload, w.path);
    if (v === undefined || v === null ? w.value !== 'null' : String(v) !== w.value) return false;
  }
  return true;
}

/** What `miso tail` reads: the event topics by default, plus command and dead-letter topics on request, or what the arguments name. */
export function tailSources(
  scope: { tenant: string; namespace: string },
  opts: { targets?: readonly string[]; commands?: boolean; dlq?: boolean },
): { sources: TailSource[]; types: Set<string> | undefined } {
  const sources = new Map<string, TailSource>();
  const types = new Set<string>();
  const add = (short: TopicShortName, optional: boolean): void => {
    const topic = topicName(scope, short);
    if (!sources.has(topic)) sources.set(topic, { topic, decodeAs: short, deadLetter: false, optional });
  };
  const addDlq = (): void => {
    for (const d of deadLetterTopics()) {
      const topic = topicName(scope, d.short);
      sources.set(topic, { topic, decodeAs: `${d.service}-commands`, deadLetter: true, optional: true });
    }
  };
  for (const target of opts.targets ?? []) {
    const short = shortTopicName(target);
    if (target.includes('://') || isTopicShortName(short) || /-DLQ$/.test(short)) {
      const full = target.includes('://') ? target : topicName(scope, short);
      const dlq = /-DLQ$/.test(short);
      const origin = dlq ? commandTopicOfDeadLetterTopic(short) : isTopicShortName(short) ? short : undefined;
      sources.set(full, { topic: full, decodeAs: origin, deadLetter: dlq, optional: false });
      continue;
    }
    const spec = findSpec(target) ?? resolveMessageType(target);
    types.add(spec.type);
    for (const t of spec.topics) add(t, false);
  }
  if (sources.size === 0 || opts.commands || opts.dlq) {
    if (sources.size === 0) for (const t of EVENT_TOPICS) add(t, false);
    if (opts.commands) for (const t of COMMAND_TOPICS) add(t, false);
    if (opts.dlq) addDlq();
  }
  return { sources: [...sources.values()], types: types.size ? types : undefined };
}

/** Every topic a workflow can touch: the eight catalog topics and the dead-letter topics. */
export function workflowSources(scope: { tenant: string; namespace: string }): TailSource[] {
  return tailSources(scope, { commands: true, dlq: true }).sources.map((s) => ({ ...s, optional: true }));
}
