/**
 * Scanning topics for catalog messages: the readers behind `miso tail`, `miso trace` and
 * `miso send --wait`. Readers are non-durable (they never take a message from a service).
 * Each message is decoded with the schema version it was written with (fetched once per
 * version), filters on type and correlation id look at the Pulsar properties before any
 * decoding, and messages that cannot be decoded are reported as such instead of stopping
 * the scan.
 *
 * History is merged across topics in publish-time order (a k-way merge over the readers);
 * once every reader has caught up, live messages are passed on as they arrive.
 */
import { UsageError } from '../errors.js';
import { parseDuration } from './read/duration.js';
import type { PulsarClient, Reader, Message } from '../pulsar/index.js';
import { TopicNotFoundError, propertyOf } from '../pulsar/index.js';
import {
  COMMAND_TOPICS, EVENT_TOPICS, PROPERTY, decode, DecodeError, findSpec, isTopicShortName, shortTopicName, topicName,
  resolveMessageType, type AnyEnvelope, type TopicShortName,
} from './catalog/index.js';
import { deadLetterTopics } from './topics.js';
import { commandTopicOfDeadLetterTopic, deadLetterOrigin } from './read/dead-letter.js';

/** A message as scanned: decoded, or with the reason it could not be. */
export interface TailedMessage {
  /** Full topic name it was read from. */
  topic: string;
  publishTime: number;
  messageId: string;
  key?: string;
  properties: Record<string, string>;
  deadLetter?: boolean;
  envelope?: AnyEnvelope;
  /** Why the message could not be decoded (then `envelope` is absent or partial). */
  error?: string;
}

export interface TailSource {
  /** Full topic name. */
  topic: string;
  /** The catalog topic whose envelope decodes it (the origin topic for a dead-letter topic). */
  decodeAs: TopicShortName | undefined;
  deadLetter: boolean;
  /** Part of a default set: skipped quietly when it does not exist (e.g. no DLQ yet). */
  optional: boolean;
}

// ── parsing what people type ───────────────────────────────────────────

export type StartPosition = 'earliest' | 'latest' | { publishTime: number };

/** `--from earliest|latest|<ISO time>` or `--since <duration>` → where the readers start. */
export function parseStart(opts: { from?: string; since?: string }, now: number, fallback: StartPosition): StartPosition {
  if (opts.from !== undefined && opts.since !== undefined) throw new UsageError('give --from or --since, not both', { hint: '--since 10m is the same as --from <ten minutes ago>.' });
  if (opts.since !== undefined) return { publishTime: now - parseDuration(opts.since) };
  if (opts.from === undefined) return fallback;
  const f = opts.from.trim();
  if (f === 'earliest' || f === 'latest') return f;
  const ms = /^\d{4}-\d\d-\d\d/.test(f) ? Date.parse(f) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--from "${opts.from}" is not earliest, latest or a time`, { hint: 'Give an ISO time such as 2025-06-01T12:00:00Z, or use --since 10m.' });
  return { publishTime: ms };
}

export interface WhereClause { path: string[]; value: string; text: string }

/** `--where payload.event_type=conversion` or `event_type=conversion` (paths are into the payload). */
export function parseWhere(items: readonly string[]): WhereClause[] {
  return items.map((text) => {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--where "${text}" is not field=value`, { hint: 'For example --where event_type=conversion or --where payload.campaign_id=c1.' });
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
    const v = w.path.length === 1 && ['id', 'type', 'correlation_id', 'causation_id'].includes(w.path[0]!) && !(w.path[0]! in (env.payload as object))
      ? (env as unknown as Record<string, unknown>)[w.path[0]!]
      : lookup(env.payload, w.path);
    if (v === undefined || v === null ? w.value !== 'null' : String(v) !== w.value) return false;
  }
  return true;
}

/** What `miso tail` reads: the event topics by default, plus command and dead-letter topics on request, or what the arguments name. */
export function tailSources(scope: { tenant: string; namespace: string }, opts: { targets?: readonly string[]; commands?: boolean; dlq?: boolean }): { sources: TailSource[]; types: Set<string> | undefined } {
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
      const origin = dlq ? commandTopicOfDeadLetterTopic(short) : (isTopicShortName(short) ? short : undefined);
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

// ── decoding with the writer's schema ──────────────────────────────────

/** A TailedMessage whose properties come from the raw message when first read. */
class ScannedMessage implements TailedMessage {
  declare key?: string;
  declare deadLetter?: boolean;
  declare envelope?: AnyEnvelope;
  declare error?: string;
  readonly publishTime: number;
  readonly messageId: string;
  readonly #raw: Message;

  constructor(readonly topic: string, raw: Message) {
    this.publishTime = raw.publishTime;
    this.messageId = raw.messageId.toString();
    this.#raw = raw;
  }

  get properties(): Record<string, string> {
    return this.#raw.properties;
  }

  /** The same JSON as a plain TailedMessage (the getter is not an own property). */
  toJSON(): Omit<TailedMessage, never> {
    const { topic, publishTime, messageId, properties, key, deadLetter, envelope, error } = this;
    return { topic, publishTime, messageId, properties, ...(key !== undefined ? { key } : {}), ...(deadLetter ? { deadLetter } : {}), ...(envelope ? { envelope } : {}), ...(error !== undefined ? { error } : {}) };
  }
}

/** Decodes messages with the schema version each was written with; versions fetched once. */
export class MessageDecoder {
  private readonly schemas = new Map<string, string | null>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly client: PulsarClient) {}

  /** The last version seen per topic: consecutive messages almost always share it. */
  private last = new Map<string, { version: Buffer; schema: string | undefined; seen?: Buffer }>();

  private keyOf(m: Message): string {
    return `${m.topic}\u0000${m.schemaVersion!.toString('hex')}`;
  }

  /** Make sure the writer schema of `m` is known (one broker round trip per new version). */
  prepare(m: Message): Promise<void> | undefined {
    if (!m.schemaVersion || m.schemaVersion.length === 0) return undefined;
    const last = this.last.get(m.topic);
    // Messages of one batch share the very same version buffer: compare by identity first.
    if (last && (last.seen === m.schemaVersion || last.version.equals(m.schemaVersion))) {
      last.seen = m.schemaVersion;
      return undefined;
    }
    const key = this.keyOf(m);
    if (this.schemas.has(key)) {
      this.last.set(m.topic, { version: Buffer.from(m.schemaVersion), schema: this.schemas.get(key) ?? undefined });
      return undefined;
    }
    let p = this.pending.get(key);
    if (!p) {
      const version = Buffer.from(m.schemaVersion);
      p = this.client.getSchema(m.topic, version).then(
        (s) => { this.schemas.set(key, s && s.type === 'AVRO' ? s.schema : null); },
        () => { this.schemas.set(key, null); },
      ).finally(() => {
        this.pending.delete(key);
        this.last.set(m.topic, { version, schema: this.schemas.get(key) ?? undefined });
      });
      this.pending.set(key, p);
    }
    return p;
  }

  private writerSchemaOf(m: Message): string | undefined {
    if (!m.schemaVersion || m.schemaVersion.length === 0) return undefined;
    const last = this.last.get(m.topic);
    if (last && (last.seen === m.schemaVersion || last.version.equals(m.schemaVersion))) return last.schema;
    return this.schemas.get(this.keyOf(m)) ?? undefined;
  }

  /** The message decoded (after `prepare`); never throws. */
  decode(m: Message, source: TailSource): TailedMessage {
    // One object per message, built in place; the properties are decoded only if someone
    // reads them (the JSON and table output do not).
    const t = new ScannedMessage(source.topic, m);
    if (m.key !== undefined) t.key = m.key;
    if (source.deadLetter) t.deadLetter = true;
    // A dead letter decodes as the topic it came from; a topic outside the catalog may still carry dead letters.
    const as = source.deadLetter ? deadLetterOrigin(m.properties, source.topic) ?? source.decodeAs : source.decodeAs ?? deadLetterOrigin(m.properties);
    if (!as) {
      t.error = 'not a catalog topic: no schema to decode it with';
      return t;
    }
    const writer = this.writerSchemaOf(m);
    try {
      t.envelope = decode(as, m.payload, writer);
    } catch (err) {
      const partial = err instanceof DecodeError ? err.partial : undefined;
      t.error = (err as Error).message;
      if (partial) t.envelope = partial as unknown as AnyEnvelope;
    }
    return t;
  }
}

// ── reading ────────────────────────────────────────────────────────────

export interface ScanFilter {
  /** Keep only these message types (checked on the `type` property first). */
  types?: Set<string>;
  /** Keep only messages of these workflows (checked on the `correlation_id` property first). */
  correlationIds?: Set<string>;
  where?: WhereClause[];
}

export interface ScanOptions {
  start: StartPosition;
  /** Keep reading live messages after the history (default true). */
  follow: boolean;
  filter?: ScanFilter;
  signal?: AbortSignal;
  /** Receiver queue per reader (bigger = faster scans, more memory). */
  receiverQueueSize?: number;
  /** A default topic that does not exist was skipped. */
  onSkip?: (source: TailSource, reason: string) => void;
  /** Called once when every reader has reached the end of its history. */
  onCaughtUp?: () => void;
}

export interface OpenReader { source: TailSource; reader: Reader }

/** Open one reader per source, in parallel; a missing optional topic is skipped. */
export async function openReaders(client: PulsarClient, sources: readonly TailSource[], start: StartPosition, opts: Pick<ScanOptions, 'receiverQueueSize' | 'onSkip'> = {}): Promise<OpenReader[]> {
  const results = await Promise.allSettled(sources.map(async (source) => ({
    source,
    reader: await client.createReader({ topic: source.topic, start, ...(opts.receiverQueueSize ? { receiverQueueSize: opts.receiverQueueSize } : {}) }),
  })));
  const open: OpenReader[] = [];
  let failure: unknown;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') open.push(r.value);
    else if (sources[i]!.optional && r.reason instanceof TopicNotFoundError) opts.onSkip?.(sources[i]!, 'topic does not exist');
    else failure ??= r.reason;
  });
  if (failure) {
    await Promise.all(open.map((o) => o.reader.close().catch(() => {})));
    if (failure instanceof TopicNotFoundError) {
      throw new UsageError(failure.message, { hint: 'Run `miso init` to create the topics, or check --tenant/--namespace.' });
    }
    throw failure;
  }
  return open;
}

/** Is this raw message wanted, judging by its properties alone? undefined = must decode to know. */
function prefilter(m: Message, f: ScanFilter | undefined): boolean | undefined {
  if (!f) return true;
  let unknown = false;
  if (f.types) {
    const t = propertyOf(m, PROPERTY.type);
    if (t === undefined) unknown = true;
    else if (!f.types.has(t)) return false;
  }
  if (f.correlationIds) {
    const c = propertyOf(m, PROPERTY.correlationId);
    if (c === undefined) unknown = true;
    else if (!f.correlationIds.has(c)) return false;
  }
  return unknown || (f.where !== undefined && f.where.length > 0) ? undefined : true;
}

function postfilter(t: TailedMessage, f: ScanFilter | undefined): boolean {
  if (!f) return true;
  const env = t.envelope;
  if (f.types && (!env || !f.types.has(env.type))) return false;
  if (f.correlationIds && (!env || !f.correlationIds.has(env.correlation_id))) return false;
  if (f.where && f.where.length) return env !== undefined && !t.error && matchesWhere(env, f.where);
  return true;
}

/**
 * Messages from `sources`: history in publish-time order across topics, then (with
 * `follow`) live ones as they arrive. Ends at the end of history without `follow`, or when
 * `signal` aborts. Readers are closed on the way out.
 */
export function scan(client: PulsarClient, sources: readonly TailSource[], opts: ScanOptions): AsyncGenerator<TailedMessage> {
  // One generator, not one delegating to another: each message crosses one async boundary.
  return scanning(client, () => openReaders(client, sources, opts.start, opts), opts);
}

/** `scan` over readers opened beforehand (e.g. at `latest` before sending, for `send --wait`). Closes them at the end. */
export function scanReaders(client: PulsarClient, open: OpenReader[], opts: ScanOptions): AsyncGenerator<TailedMessage> {
  return scanning(client, () => open, opts);
}

async function* scanning(client: PulsarClient, opening: () => OpenReader[] | Promise<OpenReader[]>, opts: ScanOptions): AsyncGenerator<TailedMessage> {
  const open = await opening();
  const decoder = new MessageDecoder(client);
  const signal = opts.signal;
  let aborted = signal?.aborted ?? false;
  const onAbort = (): void => { aborted = true; };
  signal?.addEventListener('abort', onAbort);

  const accept = async (m: Message, source: TailSource): Promise<TailedMessage | undefined> => {
    const pre = prefilter(m, opts.filter);
    if (pre === false) return undefined;
    const wait = decoder.prepare(m);
    if (wait) await wait;
    const t = decoder.decode(m, source);
    return pre === true || postfilter(t, opts.filter) ? t : undefined;
  };

  try {
    if (opts.start !== 'latest' && open.length === 1) {
      // One topic: read straight through (the common `tail <topic> --json` case, kept lean).
      const { reader, source } = open[0]!;
      while (!aborted) {
        // Drain what is already received without a promise per message.
        let m = reader.readQueued();
        if (!m) {
          if (!(await reader.hasMessageAvailable())) break;
          m = await reader.readNext();
          if (!m) break;
        }
        const pre = prefilter(m, opts.filter);
        if (pre === false) continue;
        const wait = decoder.prepare(m);
        if (wait) await wait;
        const t = decoder.decode(m, source);
        if (pre === true || postfilter(t, opts.filter)) yield t;
      }
    } else if (opts.start !== 'latest') {
      // History: k-way merge by publish time over the readers that still have messages.
      interface Head { o: OpenReader; m: Message | undefined; done: boolean }
      const heads: Head[] = open.map((o) => ({ o, m: undefined, done: false }));
      const fill = async (h: Head): Promise<void> => {
        if (h.m || h.done) return;
        h.m = h.o.reader.readQueued();
        if (h.m) return;
        if (!(await h.o.reader.hasMessageAvailable())) { h.done = true; return; }
        h.m = await h.o.reader.readNext();
        if (!h.m) h.done = true;
      };
      await Promise.all(heads.map(fill));
      for (;;) {
        if (aborted) return;
        let best: Head | undefined;
        for (const h of heads) if (h.m && (!best || h.m.publishTime < best.m!.publishTime)) best = h;
        if (!best) break;
        const m = best.m!;
        best.m = undefined;
        const t = await accept(m, best.o.source);
        if (t) yield t;
        await fill(best);
      }
    }
    if (aborted) return;
    opts.onCaughtUp?.();
    if (!opts.follow) return;

    // Live: whichever reader has the next message.
    const aborter = new Promise<undefined>((resolve) => {
      if (!signal) return;
      if (signal.aborted) resolve(undefined);
      signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    const next = (o: OpenReader, i: number): Promise<{ i: number; m: Message | undefined }> => o.reader.readNext().then((m) => ({ i, m }));
    const inflight = open.map((o, i) => next(o, i));
    let live = open.length;
    while (live > 0 && !aborted) {
      const r = await Promise.race([...inflight, aborter]);
      if (r === undefined || aborted) return;
      const o = open[r.i]!;
      if (r.m === undefined) { live--; inflight[r.i] = new Promise(() => {}); continue; }
      inflight[r.i] = next(o, r.i);
      const t = await accept(r.m, o.source);
      if (t) yield t;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(open.map((o) => o.reader.close().catch(() => {})));
  }
}

/** Every topic a workflow can touch: the eight catalog topics and the dead-letter topics. */
export function workflowSources(scope: { tenant: string; namespace: string }): TailSource[] {
  return tailSources(scope, { commands: true, dlq: true }).sources.map((s) => ({ ...s, optional: true }));
}

// ── one workflow, for `miso trace` ─────────────────────────────────────

export interface WorkflowScan {
  messages: TailedMessage[];
  /** Messages scanned (all workflows) and how long it took. */
  scanned: number;
  elapsedMs: number;
}

/**
 * Every message of one workflow since `fromTime`, from all catalog and dead-letter topics:
 * the readers seek to the window start by publish time and drain their topics in
 * parallel; only messages whose `correlation_id` property matches are decoded.
 */
export async function collectWorkflow(client: PulsarClient, scope: { tenant: string; namespace: string }, correlationId: string, opts: { fromTime: number; receiverQueueSize?: number; signal?: AbortSignal; onSkip?: (s: TailSource, why: string) => void }): Promise<WorkflowScan & { readers: OpenReader[] }> {
  const started = Date.now();
  const readers = await openReaders(client, workflowSources(scope), { publishTime: opts.fromTime }, { receiverQueueSize: opts.receiverQueueSize ?? 5000, ...(opts.onSkip ? { onSkip: opts.onSkip } : {}) });
  const decoder = new MessageDecoder(client);
  const messages: TailedMessage[] = [];
  let scanned = 0;
  await Promise.all(readers.map(async ({ reader, source }) => {
    while (!opts.signal?.aborted) {
      let m = reader.readQueued();
      if (!m) {
        if (!(await reader.hasMessageAvailable())) break;
        m = await reader.readNext();
        if (!m) break;
      }
      scanned++;
      const c = propertyOf(m, PROPERTY.correlationId);
      if (c !== undefined && c !== correlationId) continue;
      const wait = decoder.prepare(m);
      if (wait) await wait;
      const t = decoder.decode(m, source);
      if (t.envelope && t.envelope.correlation_id === correlationId) messages.push(t);
    }
  }));
  return { messages, scanned, elapsedMs: Date.now() - started, readers };
}

/** Live messages of one workflow after `collectWorkflow` (same readers), until `signal` aborts. */
export function followWorkflow(client: PulsarClient, readers: OpenReader[], correlationId: string, signal: AbortSignal): AsyncGenerator<TailedMessage> {
  return scanReaders(client, readers, { start: 'latest', follow: true, signal, filter: { correlationIds: new Set([correlationId]) } });
}

export async function closeReaders(readers: OpenReader[]): Promise<void> {
  await Promise.all(readers.map((o) => o.reader.close().catch(() => {})));
}
