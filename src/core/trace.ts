/**
 * The causal tree of one workflow, built from the messages that carry its correlation id:
 * each message hangs under the message named by its causation id. Pure: messages in, tree
 * out (no broker, no clock), so `miso trace`, `miso send --wait`, the demo and the dashboard
 * share it.
 *
 * Latency of a hop is measured between the broker publish times of cause and effect when
 * both are known (one clock), else between the envelope timestamps.
 */
import type { MessageKind } from './catalog/registry.js';
import { specOf } from './catalog/registry.js';

export interface TraceMessage {
  /** Envelope id. */
  id: string;
  type: string;
  correlationId: string;
  causationId: string | null;
  /** Envelope timestamp (ms). */
  timestamp: number;
  /** Broker publish time (ms), when read from a topic. */
  publishTime?: number;
  /** Topic it was read from (short or full name). */
  topic: string;
  /** Pulsar message id, "ledger:entry:partition:batch". */
  messageId?: string;
  /** Read from a dead-letter topic: the copy a consumer gave up on. */
  deadLetter?: boolean;
  /** Message key (the aggregate id). */
  key?: string;
  payload?: unknown;
}

export interface TraceNode {
  message: TraceMessage;
  kind: MessageKind | 'unknown';
  children: TraceNode[];
  /** Time from the cause to this message (ms); null for a root. */
  latencyMs: number | null;
  /** Depth in the tree, roots are 0. */
  depth: number;
  /** The command was refused: a rejection event names it as its cause (or this is the rejection). */
  rejected: boolean;
  /** A consumer gave up on this message and dead-lettered it. */
  deadLettered: boolean;
  /** Times the same message id was seen (redelivered copies, resends, the dead-letter copy). */
  copies: number;
  /** The causation id names a message that was not found (outside the window, or not read). */
  missingCause: boolean;
}

export interface Hop {
  from: TraceMessage;
  to: TraceMessage;
  ms: number;
}

export interface Trace {
  correlationId: string;
  roots: TraceNode[];
  /** Every node, depth first in tree order. */
  nodes: TraceNode[];
  messageCount: number;
  /** First and last message time (ms) and the span between them. */
  startedAt: number | undefined;
  endedAt: number | undefined;
  durationMs: number;
  slowestHop: Hop | undefined;
  rejectedCount: number;
  deadLetteredCount: number;
}

/** The time a message is placed at: broker publish time when known, else its own timestamp. */
export function timeOf(m: TraceMessage): number {
  return m.publishTime ?? m.timestamp;
}

function hopMs(from: TraceMessage, to: TraceMessage): number {
  if (from.publishTime !== undefined && to.publishTime !== undefined) return to.publishTime - from.publishTime;
  return to.timestamp - from.timestamp;
}

/**
 * The tree of the workflow `correlationId` from `messages` (messages of other workflows are
 * ignored, duplicates by id merged). Children are ordered by time.
 */
export function buildTrace(correlationId: string, messages: Iterable<TraceMessage>): Trace {
  const byId = new Map<string, TraceNode>();
  for (const m of messages) {
    if (m.correlationId !== correlationId) continue;
    const seen = byId.get(m.id);
    if (seen) {
      seen.copies++;
      if (m.deadLetter) seen.deadLettered = true;
      // Keep the earliest non-dead-letter copy as the message itself.
      if (!m.deadLetter && (seen.message.deadLetter || timeOf(m) < timeOf(seen.message))) seen.message = m;
      continue;
    }
    const kind = specOf(m.type)?.kind ?? 'unknown';
    byId.set(m.id, {
      message: m,
      kind,
      children: [],
      latencyMs: null,
      depth: 0,
      rejected: kind === 'rejection',
      deadLettered: m.deadLetter === true,
      copies: 1,
      missingCause: false,
    });
  }

  const roots: TraceNode[] = [];
  for (const node of byId.values()) {
    const cause = node.message.causationId;
    const parent = cause !== null && cause !== node.message.id ? byId.get(cause) : undefined;
    if (parent) {
      parent.children.push(node);
      node.latencyMs = hopMs(parent.message, node.message);
      if (node.kind === 'rejection') parent.rejected = true;
    } else {
      node.missingCause = cause !== null && cause !== node.message.id;
      roots.push(node);
    }
  }

  const byTime = (a: TraceNode, b: TraceNode): number => timeOf(a.message) - timeOf(b.message) || a.message.id.localeCompare(b.message.id);
  roots.sort(byTime);
  const nodes: TraceNode[] = [];
  let slowest: Hop | undefined;
  let start: number | undefined;
  let end: number | undefined;
  const visit = (node: TraceNode, depth: number, parent: TraceNode | undefined): void => {
    node.depth = depth;
    nodes.push(node);
    const t = timeOf(node.message);
    start = start === undefined ? t : Math.min(start, t);
    end = end === undefined ? t : Math.max(end, t);
    if (parent && node.latencyMs !== null && (!slowest || node.latencyMs > slowest.ms)) {
      slowest = { from: parent.message, to: node.message, ms: node.latencyMs };
    }
    node.children.sort(byTime);
    for (const c of node.children) visit(c, depth + 1, node);
  };
  for (const r of roots) visit(r, 0, undefined);

  return {
    correlationId,
    roots,
    nodes,
    messageCount: nodes.length,
    startedAt: start,
    endedAt: end,
    durationMs: start === undefined || end === undefined ? 0 : end - start,
    slowestHop: slowest,
    rejectedCount: nodes.filter((n) => n.kind === 'rejection').length,
    deadLetteredCount: nodes.filter((n) => n.deadLettered).length,
  };
}

/**
 * The furthest stage a workflow reached, for summaries: the owning service of the latest
 * event in the tree (campaign → tracking → commission → payment), or undefined when only
 * commands were seen.
 */
export function stageOf(trace: Trace): string | undefined {
  const order = ['campaign', 'tracking', 'commission', 'payment'];
  let best = -1;
  for (const n of trace.nodes) {
    if (n.kind !== 'event') continue;
    const owner = specOf(n.message.type)?.owner;
    const i = owner ? order.indexOf(owner) : -1;
    if (i > best) best = i;
  }
  return best >= 0 ? order[best] : undefined;
}

/** A trace message from a decoded envelope and where it was read. */
export function traceMessageOf(
  env: { id: string; type: string; timestamp: number; correlation_id: string; causation_id: string | null; payload: unknown },
  where: { topic: string; publishTime?: number; messageId?: string; deadLetter?: boolean; key?: string },
): TraceMessage {
  return {
    id: env.id,
    type: env.type,
    correlationId: env.correlation_id,
    causationId: env.causation_id,
    timestamp: env.timestamp,
    topic: where.topic,
    payload: env.payload,
    ...(where.publishTime !== undefined ? { publishTime: where.publishTime } : {}),
    ...(where.messageId !== undefined ? { messageId: where.messageId } : {}),
    ...(where.deadLetter ? { deadLetter: true } : {}),
    ...(where.key !== undefined ? { key: where.key } : {}),
  };
}
