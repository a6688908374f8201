/**
 * Reading one workflow: every message of a correlation id (for `miso trace`), then its live
 * messages; and `WorkflowWatch`, which `miso send --wait` and the demo open before sending
 * to collect what the sent commands cause until each has its outcome (./outcome.ts).
 */
import type { PulsarClient } from '../../pulsar/index.js';
import { propertyOf } from '../../pulsar/index.js';
import { PROPERTY } from '../catalog/index.js';
import type { Published } from '../publisher.js';
import { openReaders, scanReaders, type OpenReader } from '../tail.js';
import { buildTrace, traceMessageOf, type Trace, type TraceMessage } from '../trace.js';
import { MessageDecoder, type TailedMessage, type TailSource } from './decoder.js';
import { workflowAnswered } from './outcome.js';
import { workflowSources } from './query.js';

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
export async function collectWorkflow(
  client: PulsarClient,
  scope: { tenant: string; namespace: string },
  correlationId: string,
  opts: { fromTime: number; receiverQueueSize?: number; signal?: AbortSignal; onSkip?: (s: TailSource, why: string) => void },
): Promise<WorkflowScan & { readers: OpenReader[] }> {
  const started = Date.now();
  const readers = await openReaders(
    client,
    workflowSources(scope),
    { publishTime: opts.fromTime },
    { receiverQueueSize: opts.receiverQueueSize ?? 5000, ...(opts.onSkip ? { onSkip: opts.onSkip } : {}) },
  );
  const decoder = new MessageDecoder(client);
  const messages: TailedMessage[] = [];
  let scanned = 0;
  await Promise.all(
    readers.map(async ({ reader, source }) => {
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
        let t = decoder.decode(m, source);
        if (t instanceof Promise) t = await t;
        if (t.envelope && t.envelope.correlation_id === correlationId) messages.push(t);
      }
    }),
  );
  return { messages, scanned, elapsedMs: Date.now() - started, readers };
}

/** Live messages of one workflow after `collectWorkflow` (same readers), until `signal` aborts. */
export function followWorkflow(client: PulsarClient, readers: OpenReader[], correlationId: string, signal: AbortSignal): AsyncGenerator<TailedMessage> {
  return scanReaders(client, readers, { start: 'latest', follow: true, signal, filter: { correlationIds: new Set([correlationId]) } });
}

export async function closeReaders(readers: OpenReader[]): Promise<void> {
  await Promise.all(readers.map((o) => o.reader.close().catch(() => {})));
}

// ── waiting for what sent commands cause ───────────────────────────────

export interface WaitResult {
  /** Everything read for the workflows, the sent messages included, in arrival order. */
  messages: TailedMessage[];
  traces: Trace[];
  complete: boolean;
}

/**
 * Watches every topic a workflow can touch, from now on (readers at `latest`): open it
 * before sending, then `collect` the messages the sent ones cause. A workflow is complete
 * when every command in it has its outcome (./outcome.ts) and nothing new arrived for
 * `settleMs`.
 */
export class WorkflowWatch {
  private constructor(
    private readonly client: PulsarClient,
    private readonly readers: OpenReader[],
  ) {}

  static async open(
    client: PulsarClient,
    scope: { tenant: string; namespace: string },
    opts: { onSkip?: (s: TailSource, why: string) => void } = {},
  ): Promise<WorkflowWatch> {
    const readers = await openReaders(client, workflowSources(scope), 'latest', opts);
    return new WorkflowWatch(client, readers);
  }

  async collect(
    sent: readonly Published[],
    opts: { timeoutMs: number; settleMs?: number; onMessage?: (m: TailedMessage, trace: Trace) => void },
  ): Promise<WaitResult> {
    const ids = new Set(sent.map((s) => s.correlationId));
    const abort = new AbortController();
    const byWorkflow = new Map<string, TraceMessage[]>();
    const messages: TailedMessage[] = [];
    let settleTimer: NodeJS.Timeout | undefined;
    let complete = false;
    const timeout = setTimeout(() => abort.abort(), opts.timeoutMs);
    const sentIds = new Set(sent.map((s) => s.id));
    const check = (): void => {
      const traces = [...ids].map((id) => buildTrace(id, byWorkflow.get(id) ?? []));
      const seenAll = [...sentIds].every((id) => traces.some((t) => t.nodes.some((n) => n.message.id === id)));
      if (settleTimer) clearTimeout(settleTimer);
      if (seenAll && traces.every(workflowAnswered)) {
        settleTimer = setTimeout(() => {
          complete = true;
          abort.abort();
        }, opts.settleMs ?? 300);
      }
    };
    try {
      for await (const m of scanReaders(this.client, this.readers, { start: 'latest', follow: true, signal: abort.signal, filter: { correlationIds: ids } })) {
        const env = m.envelope;
        if (!env || m.error) continue;
        messages.push(m);
        const list = byWorkflow.get(env.correlation_id) ?? [];
        list.push(
          traceMessageOf(env, {
            topic: m.topic,
            publishTime: m.publishTime,
            messageId: m.messageId,
            ...(m.deadLetter ? { deadLetter: true } : {}),
            ...(m.key !== undefined ? { key: m.key } : {}),
          }),
        );
        byWorkflow.set(env.correlation_id, list);
        opts.onMessage?.(m, buildTrace(env.correlation_id, list));
        check();
      }
    } finally {
      clearTimeout(timeout);
      if (settleTimer) clearTimeout(settleTimer);
    }
    return { messages, traces: [...ids].map((id) => buildTrace(id, byWorkflow.get(id) ?? [])), complete };
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((o) => o.reader.close().catch(() => {})));
  }
}

/** A scanned, decoded message as the trace builder takes it (topic, broker times, dead-letter flag, key). */
export function traceMessageOfTailed(m: TailedMessage): TraceMessage {
  return traceMessageOf(m.envelope!, {
    topic: m.topic,
    publishTime: m.publishTime,
    messageId: m.messageId,
    ...(m.deadLetter ? { deadLetter: true } : {}),
    ...(m.key !== undefined ? { key: m.key } : {}),
  });
}
