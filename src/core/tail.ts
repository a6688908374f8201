/**
 * Scanning topics for catalog messages: the readers behind `miso tail`, `miso trace` and
 * `miso send --wait`. Readers are non-durable (they never take a message from a service).
 * Filters on type and correlation id look at the Pulsar properties before any decoding;
 * decoding (with each message's writer schema) is ./read/decoder.ts, what people type to
 * choose topics and filters is ./read/query.ts.
 *
 * History is merged across topics in publish-time order (a k-way merge over the readers);
 * once every reader has caught up, live messages are passed on as they arrive.
 */
import { UsageError } from '../errors.js';
import type { PulsarClient, Reader, Message } from '../pulsar/index.js';
import { TopicNotFoundError, propertyOf } from '../pulsar/index.js';
import { PROPERTY } from './catalog/index.js';
import { MessageDecoder, type TailedMessage, type TailSource } from './read/decoder.js';
import { matchesWhere, type StartPosition, type WhereClause } from './read/query.js';

export { MessageDecoder, type TailedMessage, type TailSource } from './read/decoder.js';
export { parseStart, parseWhere, matchesWhere, tailSources, workflowSources, type StartPosition, type WhereClause } from './read/query.js';

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

export interface OpenReader {
  source: TailSource;
  reader: Reader;
}

/** Open one reader per source, in parallel; a missing optional topic is skipped. */
export async function openReaders(
  client: PulsarClient,
  sources: readonly TailSource[],
  start: StartPosition,
  opts: Pick<ScanOptions, 'receiverQueueSize' | 'onSkip'> = {},
): Promise<OpenReader[]> {
  const results = await Promise.allSettled(
    sources.map(async (source) => ({
      source,
      reader: await client.createReader({ topic: source.topic, start, ...(opts.receiverQueueSize ? { receiverQueueSize: opts.receiverQueueSize } : {}) }),
    })),
  );
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
  const onAbort = (): void => {
    aborted = true;
  };
  signal?.addEventListener('abort', onAbort);

  const accept = async (m: Message, source: TailSource): Promise<TailedMessage | undefined> => {
    const pre = prefilter(m, opts.filter);
    if (pre === false) return undefined;
    let t = decoder.decode(m, source);
    if (t instanceof Promise) t = await t;
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
        let t = decoder.decode(m, source);
        if (t instanceof Promise) t = await t;
        if (pre === true || postfilter(t, opts.filter)) yield t;
      }
    } else if (opts.start !== 'latest') {
      // History: k-way merge by publish time over the readers that still have messages.
      interface Head {
        o: OpenReader;
        m: Message | undefined;
        done: boolean;
      }
      const heads: Head[] = open.map((o) => ({ o, m: undefined, done: false }));
      const fill = async (h: Head): Promise<void> => {
        if (h.m || h.done) return;
        h.m = h.o.reader.readQueued();
        if (h.m) return;
        if (!(await h.o.reader.hasMessageAvailable())) {
          h.done = true;
          return;
        }
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
      if (r.m === undefined) {
        live--;
        inflight[r.i] = new Promise(() => {});
        continue;
      }
      inflight[r.i] = next(o, r.i);
      const t = await accept(r.m, o.source);
      if (t) yield t;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(open.map((o) => o.reader.close().catch(() => {})));
  }
}
