import { describe, it, expect } from 'vitest';
import { buildTrace, stageOf, type TraceMessage } from '../../../src/core/trace.js';

const WF = 'wf-1';
let n = 0;
function msg(id: string, type: string, cause: string | null, t: number, extra: Partial<TraceMessage> = {}): TraceMessage {
  n++;
  return { id, type, correlationId: WF, causationId: cause, timestamp: t, publishTime: t + 1, topic: `topic-${n}`, ...extra };
}

/** tracking command → tracking event + commission command → commission event + payment command → payment event */
function chain(): TraceMessage[] {
  return [
    msg('pay-ev', 'payment.processed.v1', 'pay-cmd', 1090),
    msg('trk-cmd', 'tracking.create_event.command.v1', null, 1000),
    msg('trk-ev', 'tracking_event.created.v1', 'trk-cmd', 1010),
    msg('com-cmd', 'commission.calculate.command.v1', 'trk-cmd', 1011),
    msg('com-ev', 'commission.calculated.v1', 'com-cmd', 1030),
    msg('pay-cmd', 'payment.process.command.v1', 'com-cmd', 1031),
    msg('other', 'campaign.created.v1', null, 1005, { correlationId: 'another-workflow' }),
  ];
}

describe('buildTrace', () => {
  it('arranges a workflow as a causal tree with per-hop latency, whatever the input order', () => {
    const trace = buildTrace(WF, chain());
    expect(trace.roots.map((r) => r.message.id)).toEqual(['trk-cmd']);
    expect(trace.nodes.map((x) => [x.message.id, x.depth, x.latencyMs])).toEqual([
      ['trk-cmd', 0, null],
      ['trk-ev', 1, 10],
      ['com-cmd', 1, 11],
      ['com-ev', 2, 19],
      ['pay-cmd', 2, 20],
      ['pay-ev', 3, 59],
    ]);
    expect(trace.messageCount).toBe(6);
    expect(trace.durationMs).toBe(90);
    expect(trace.startedAt).toBe(1001);
    expect(trace.slowestHop?.from.id).toBe('pay-cmd');
    expect(trace.slowestHop?.to.id).toBe('pay-ev');
    expect(trace.slowestHop?.ms).toBe(59);
    expect(stageOf(trace)).toBe('payment');
  });

  it('uses envelope timestamps when publish times are missing', () => {
    const msgs = chain().map(({ publishTime: _p, ...m }) => m);
    const trace = buildTrace(WF, msgs);
    expect(trace.nodes.find((x) => x.message.id === 'trk-ev')!.latencyMs).toBe(10);
  });

  it('marks a rejected command and counts the rejection', () => {
    const trace = buildTrace(WF, [msg('c1', 'campaign.create.command.v1', null, 0), msg('r1', 'command.rejected.v1', 'c1', 5)]);
    const root = trace.roots[0]!;
    expect(root.rejected).toBe(true);
    expect(root.children[0]!.kind).toBe('rejection');
    expect(trace.rejectedCount).toBe(1);
    expect(stageOf(trace)).toBeUndefined();
  });

  it('merges the dead-letter copy into the original message and marks it', () => {
    const trace = buildTrace(WF, [
      msg('c1', 'payment.process.command.v1', null, 0),
      msg('c1', 'payment.process.command.v1', null, 0, { deadLetter: true, publishTime: 900, topic: 'payment-commands-payment-service-DLQ' }),
    ]);
    expect(trace.messageCount).toBe(1);
    const node = trace.roots[0]!;
    expect(node.deadLettered).toBe(true);
    expect(node.copies).toBe(2);
    expect(node.message.deadLetter).toBeUndefined();
    expect(trace.deadLetteredCount).toBe(1);
  });

  it('keeps a dead letter whose original was not found, as a dead-lettered root', () => {
    const trace = buildTrace(WF, [msg('c9', 'payment.process.command.v1', 'gone', 0, { deadLetter: true })]);
    expect(trace.roots[0]!.deadLettered).toBe(true);
    expect(trace.roots[0]!.missingCause).toBe(true);
  });

  it('makes a message whose cause is outside the window a root flagged missingCause', () => {
    const trace = buildTrace(WF, [msg('e1', 'campaign.created.v1', 'not-read', 10), msg('e2', 'video.added.v1', 'not-read-either', 5)]);
    expect(trace.roots.map((r) => [r.message.id, r.missingCause])).toEqual([
      ['e2', true],
      ['e1', true],
    ]);
    expect(trace.slowestHop).toBeUndefined();
  });

  it('is empty for an unknown workflow', () => {
    const trace = buildTrace('nope', chain());
    expect(trace.messageCount).toBe(0);
    expect(trace.durationMs).toBe(0);
    expect(trace.roots).toEqual([]);
  });
});
