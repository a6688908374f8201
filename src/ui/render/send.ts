/** Output of `miso send`: what was sent, the caused messages as they arrive, progress. */
import type { ChalkInstance } from 'chalk';
import type { Output } from '../output.js';
import type { Published, SendProgress, WaitResult } from '../../core/publisher.js';
import type { TailedMessage } from '../../core/tail.js';
import type { Trace } from '../../core/trace.js';
import { shortTopicName } from '../../core/catalog/index.js';
import { keyFields, paint, kindOf } from './message.js';
import { ms, traceJson } from './trace.js';
import { jsonRecord } from './message.js';

export function renderSendResult(sent: readonly Published[], out: Output): void {
  const c = out.color;
  if (sent.length === 1) {
    const s = sent[0]!;
    out.line(`${c.green('✔')} sent ${s.type} to ${shortTopicName(s.topic)}${s.duplicate ? c.yellow(' (dropped by the broker as a duplicate)') : ''}`);
    out.line(`  correlation id  ${c.bold(s.correlationId)}`);
    out.line(`  message id      ${s.messageId}`);
    out.line(`  id              ${s.id}`);
    return;
  }
  const workflows = new Set(sent.map((s) => s.correlationId)).size;
  out.line(`${c.green('✔')} sent ${sent.length} messages (${workflows} workflow${workflows > 1 ? 's' : ''})`);
  if (sent.length <= 20) for (const s of sent) out.line(`  ${s.type}  correlation ${s.correlationId}  message ${s.messageId}`);
}

/** One caused message while waiting: latency from its cause and from the start. */
export function renderWaitLine(m: TailedMessage, trace: Trace, color: ChalkInstance): string {
  const env = m.envelope!;
  const node = trace.nodes.find((n) => n.message.id === env.id);
  const hop = node?.latencyMs;
  const fromStart = trace.startedAt !== undefined ? m.publishTime - trace.startedAt : undefined;
  const kind = kindOf(m);
  const timing = `${hop !== null && hop !== undefined ? `+${ms(hop)}` : ''}${fromStart !== undefined ? color.dim(` (${ms(fromStart)} total)`) : ''}`;
  return `  ${timing.padEnd(12)} ${paint(color, kind, env.type)} ${color.dim(shortTopicName(m.topic))}  ${keyFields(env.type, env.payload)}`;
}

export function progressBar(p: SendProgress): string {
  const width = 30;
  const done = Math.round((p.sent / p.total) * width);
  const rate = p.elapsedMs > 0 ? Math.round((p.sent * 1000) / p.elapsedMs) : 0;
  return `\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${p.sent}/${p.total}  ${rate}/s`;
}

export function sendJson(sent: readonly Published[], wait?: WaitResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    sent: sent.map((s) => ({ id: s.id, type: s.type, topic: s.topic, correlation_id: s.correlationId, message_id: s.messageId, duplicate: s.duplicate })),
  };
  if (sent.length === 1) Object.assign(out, { correlation_id: sent[0]!.correlationId, message_id: sent[0]!.messageId, id: sent[0]!.id });
  if (wait) {
    const sentIds = new Set(sent.map((s) => s.id));
    out.complete = wait.complete;
    out.events = wait.messages
      .filter((m) => !sentIds.has(m.envelope!.id))
      .map((m) => {
        const trace = wait.traces.find((t) => t.correlationId === m.envelope!.correlation_id);
        const node = trace?.nodes.find((n) => n.message.id === m.envelope!.id);
        return {
          ...jsonRecord(m),
          latency_ms: node?.latencyMs ?? null,
          since_start_ms: trace?.startedAt !== undefined ? m.publishTime - trace.startedAt : null,
        };
      });
    out.traces = wait.traces.map(traceJson);
  }
  return out;
}
