/**
 * The broker side of flows: read a workflow off the topics to record it; send a flow's roots
 * again with fresh ids and watch what they cause to verify it. The decisions are in the pure
 * modules next to this one (record.ts, compare.ts).
 */
import { randomUUID } from 'node:crypto';
import { MisoError, TimeoutError } from '../../errors.js';
import type { PulsarClient } from '../../pulsar/index.js';
import { sleep, waitFor } from '../../util/wait.js';
import { isTopicShortName } from '../catalog/index.js';
import { Publisher } from '../publisher.js';
import { openReaders, scanReaders, workflowSources } from '../tail.js';
import { closeReaders, collectWorkflow, traceMessageOfTailed } from '../read/workflow.js';
import { buildTrace, type TraceMessage } from '../trace.js';
import { compareFlow, type FlowFailure } from './compare.js';
import { fillPlaceholders, placeholdersOf, type Flow } from './format.js';
import { flowFromTrace, type BudgetRule } from './record.js';

type Scope = { tenant: string; namespace: string };

/** Read workflow `correlationId` from the last `sinceMs` and turn it into a flow. */
export async function recordFlow(
  client: PulsarClient,
  scope: Scope,
  correlationId: string,
  opts: { sinceMs: number; since: string; name: string; budget?: BudgetRule; signal?: AbortSignal },
): Promise<Flow> {
  const scan = await collectWorkflow(client, scope, correlationId, { fromTime: Date.now() - opts.sinceMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  await closeReaders(scan.readers);
  const found = scan.messages.filter((m) => m.envelope).map(traceMessageOfTailed);
  if (!found.length) {
    throw new MisoError(`no message of workflow ${correlationId} in the last ${opts.since} (${scan.scanned} messages scanned); nothing recorded`, {
      hint: 'Check the id (`miso send` prints it; `miso tail --json` shows correlation_id), or widen the window with --since 24h.',
    });
  }
  return flowFromTrace(buildTrace(correlationId, found), { name: opts.name, ...(opts.budget ? { budget: opts.budget } : {}) });
}

export interface FlowVerdict {
  name: string;
  ok: boolean;
  failures: FlowFailure[];
  /** The fresh workflow the roots were sent in (look at it with `miso trace`). */
  correlationId: string;
  expected: number;
  matched: number;
  durationMs: number;
  slowestMs: number;
}

export interface VerifyOptions {
  /** How long to wait for the chain of each root (ms). */
  timeoutMs: number;
  /** After a chain is complete, how long to keep watching for extra hops (ms). */
  settleMs: number;
  signal?: AbortSignal;
}

/**
 * Send the roots of `flow` in order, each with fresh ids in one fresh workflow, waiting for
 * the chain of one root (every expected hop arrived, or the timeout) and then `settleMs`
 * for extra hops before sending the next; then compare everything that arrived.
 */
export async function verifyFlow(client: PulsarClient, scope: Scope, flow: Flow, opts: VerifyOptions): Promise<FlowVerdict> {
  const started = Date.now();
  const correlationId = randomUUID();
  const fresh = new Map<string, string>();
  for (const r of flow.roots) for (const p of placeholdersOf(r.payload)) if (!fresh.has(p)) fresh.set(p, randomUUID());
  const typeOf = new Map(flow.nodes.map((n) => [n.id, n]));

  // Readers at `latest` before the first send, so nothing the roots cause is missed.
  const readers = await openReaders(client, workflowSources(scope), 'latest');
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const seen: TraceMessage[] = [];
  // A reader that fails (broker gone) ends the verification with its error, not with a
  // list of "missing" hops that were never looked for.
  let readFailure: unknown;
  const reading = (async () => {
    for await (const m of scanReaders(client, readers, {
      start: 'latest',
      follow: true,
      signal: stop.signal,
      filter: { correlationIds: new Set([correlationId]) },
    })) {
      if (m.envelope && !m.error) seen.push(traceMessageOfTailed(m));
    }
  })().catch((err: unknown) => {
    readFailure = err;
  });
  const pub = new Publisher(client, scope);
  const sentIds: string[] = [];
  try {
    for (let i = 0; i < flow.roots.length; i++) {
      const root = flow.roots[i]!;
      const node = typeOf.get(root.node)!;
      const payload = fillPlaceholders(root.payload, fresh) as Record<string, unknown>;
      const sent = await pub.sendCommand(node.type, payload, { correlationId, ...(isTopicShortName(node.topic) ? { topic: node.topic } : {}) });
      sentIds.push(sent.id);
      const complete = (): boolean => {
        if (readFailure) throw readFailure;
        const c = compareFlow(flow, buildTrace(correlationId, seen), sentIds, { rootCount: i + 1, latency: false });
        return c.matched >= c.expected;
      };
      try {
        await waitFor(complete, {
          timeoutMs: opts.timeoutMs,
          intervalMs: 20,
          what: `the chain of ${node.type}`,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err;
      }
      await sleep(opts.settleMs, opts.signal);
    }
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    await reading;
    await pub.close();
  }
  if (readFailure) throw readFailure;
  const result = compareFlow(flow, buildTrace(correlationId, seen), sentIds);
  return {
    name: flow.name,
    ok: result.failures.length === 0,
    failures: result.failures,
    correlationId,
    expected: result.expected,
    matched: result.matched,
    durationMs: Date.now() - started,
    slowestMs: result.slowestMs,
  };
}
