import chalk, { Chalk } from 'chalk';
import type { ObservedMessage } from '../../core/monitor.js';
import { buildTrace, type TraceMessage } from '../../core/trace.js';
import { renderTrace } from '../render/trace.js';

/** What the trace builder needs to know of a message the dashboard observed. */
export function toTraceMessage(m: ObservedMessage): TraceMessage {
  return {
    id: m.id,
    type: m.type,
    correlationId: m.correlationId,
    causationId: m.causationId ?? null,
    timestamp: m.timestamp,
    publishTime: m.publishTime,
    topic: m.topic,
    messageId: m.messageId,
    ...(m.role === 'dead-letter' ? { deadLetter: true } : {}),
    payload: m.payload,
  };
}

/**
 * A workflow's causal tree as text lines: the same builder and renderer as `miso trace`, so
 * the dashboard and the command never disagree. The first line is the totals header.
 */
export function traceLines(messages: readonly ObservedMessage[], color: boolean): string[] {
  const cid = messages[0]?.correlationId ?? '';
  const trace = buildTrace(cid, messages.map(toTraceMessage));
  return renderTrace(trace, new Chalk({ level: color ? chalk.level || 1 : 0 }));
}
