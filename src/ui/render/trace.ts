/**
 * Text rendering of a causal trace (`miso trace`, `miso send --wait`, the demo): one line
 * per message, indented under its cause, with the hop latency, and a header with the totals.
 */
import type { ChalkInstance } from 'chalk';
import type { Trace, TraceNode } from '../../core/trace.js';
import { shortTopicName } from '../../core/catalog/index.js';
import { clock, keyFields, paint } from './message.js';

export function ms(n: number): string {
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
}

export function traceHeader(trace: Trace): string {
  const parts = [`workflow ${trace.correlationId}`, `${trace.messageCount} message${trace.messageCount === 1 ? '' : 's'}`, `total ${ms(trace.durationMs)}`];
  if (trace.slowestHop) parts.push(`slowest hop ${trace.slowestHop.from.type} → ${trace.slowestHop.to.type} ${ms(trace.slowestHop.ms)}`);
  if (trace.rejectedCount) parts.push(`${trace.rejectedCount} rejected`);
  if (trace.deadLetteredCount) parts.push(`${trace.deadLetteredCount} dead-lettered`);
  return parts.join(' · ');
}

/** The tree as lines (no trailing newline). */
export function renderTrace(trace: Trace, color: ChalkInstance): string[] {
  const lines = [color.bold(traceHeader(trace))];
  const slow = trace.slowestHop?.to.id;
  const walk = (node: TraceNode, prefix: string, last: boolean, root: boolean): void => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    const m = node.message;
    const kind = node.deadLettered ? 'dead-letter' : node.kind === 'unknown' ? 'undecodable' : node.kind;
    const latency = node.latencyMs === null ? '' : `+${ms(node.latencyMs)}`;
    const marks: string[] = [];
    if (node.rejected && node.kind !== 'rejection') marks.push(color.red('✖ rejected'));
    if (node.deadLettered) marks.push(color.magenta('☠ dead-lettered'));
    if (node.missingCause) marks.push(color.yellow(`cause ${m.causationId} not found`));
    if (node.copies > 1 && !node.deadLettered) marks.push(color.dim(`×${node.copies}`));
    if (m.id === slow) marks.push(color.yellow('← slowest'));
    const fields = keyFields(m.type, m.payload);
    lines.push(
      `${prefix}${branch}${paint(color, kind, m.type)} ${color.dim(shortTopicName(m.topic))} ${color.dim(clock(m.publishTime ?? m.timestamp))}${latency ? ' ' + color.bold(latency) : ''}${fields ? '  ' + fields : ''}${marks.length ? '  ' + marks.join(' ') : ''}`,
    );
    const childPrefix = root ? prefix : prefix + (last ? '   ' : '│  ');
    node.children.forEach((c, i) => walk(c, childPrefix, i === node.children.length - 1, false));
  };
  trace.roots.forEach((r) => walk(r, '', true, true));
  return lines;
}

/** JSON form: the tree with ids, types, topics, times and latencies. */
export function traceJson(trace: Trace): Record<string, unknown> {
  const node = (n: TraceNode): Record<string, unknown> => ({
    id: n.message.id,
    type: n.message.type,
    kind: n.kind,
    topic: n.message.topic,
    message_id: n.message.messageId ?? null,
    timestamp: n.message.timestamp,
    publish_time: n.message.publishTime ?? null,
    causation_id: n.message.causationId,
    latency_ms: n.latencyMs,
    rejected: n.rejected,
    dead_lettered: n.deadLettered,
    copies: n.copies,
    missing_cause: n.missingCause,
    payload: n.message.payload ?? null,
    children: n.children.map(node),
  });
  return {
    correlation_id: trace.correlationId,
    message_count: trace.messageCount,
    started_at: trace.startedAt ?? null,
    ended_at: trace.endedAt ?? null,
    duration_ms: trace.durationMs,
    slowest_hop: trace.slowestHop
      ? {
          from: trace.slowestHop.from.id,
          to: trace.slowestHop.to.id,
          from_type: trace.slowestHop.from.type,
          to_type: trace.slowestHop.to.type,
          ms: trace.slowestHop.ms,
        }
      : null,
    rejected: trace.rejectedCount,
    dead_lettered: trace.deadLetteredCount,
    roots: trace.roots.map(node),
  };
}
