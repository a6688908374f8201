import type { ObservedMessage } from '../../core/monitor.js';
import type { TraceLine } from './components/TraceView.js';

/** Chronological lines for a workflow, used until the causal tree from `core/trace.ts` is wired. */
export function chronologicalLines(messages: ObservedMessage[]): { lines: TraceLine[]; footer: string[] } {
  const sorted = [...messages].sort((a, b) => a.timestamp - b.timestamp);
  const start = sorted[0]?.timestamp ?? 0;
  const lines = sorted.map((m, i): TraceLine => ({
    depth: 0,
    prefix: i === sorted.length - 1 ? '└─ ' : '├─ ',
    kind: m.kind,
    type: m.type,
    topic: m.topic,
    hopMs: i === 0 ? undefined : m.timestamp - sorted[i - 1]!.timestamp,
    atMs: m.timestamp - start,
    detail: m.reason ?? m.summary,
    slowest: false,
  }));
  return { lines, footer: [] };
}
