import { describe, expect, it } from 'vitest';
import { answerOf, outcomeOf, unansweredCommands, workflowAnswered } from '../../../src/core/read/outcome.js';
import { buildTrace, type TraceMessage } from '../../../src/core/trace.js';

const WF = 'wf';
const msg = (id: string, type: string, cause: string | null, t: number, extra: Partial<TraceMessage> = {}): TraceMessage => ({
  id,
  type,
  correlationId: WF,
  causationId: cause,
  timestamp: t,
  publishTime: t,
  topic: 't',
  ...extra,
});
const node = (trace: ReturnType<typeof buildTrace>, id: string) => trace.nodes.find((n) => n.message.id === id)!;

describe('the "command answered" rule', () => {
  it('an event answers the command it names as cause: done', () => {
    const trace = buildTrace(WF, [msg('c1', 'campaign.create.command.v1', null, 1), msg('e1', 'campaign.created.v1', 'c1', 2)]);
    expect(outcomeOf(node(trace, 'c1'))).toBe('done');
    expect(workflowAnswered(trace)).toBe(true);
  });

  it('a rejection answers it too, and says rejected even next to an event', () => {
    const rejected = buildTrace(WF, [msg('c1', 'campaign.create.command.v1', null, 1), msg('r1', 'command.rejected.v1', 'c1', 2)]);
    expect(outcomeOf(node(rejected, 'c1'))).toBe('rejected');
    const both = buildTrace(WF, [
      msg('c1', 'campaign.create.command.v1', null, 1),
      msg('e1', 'campaign.created.v1', 'c1', 2),
      msg('r1', 'command.rejected.v1', 'c1', 3),
    ]);
    expect(outcomeOf(node(both, 'c1'))).toBe('rejected');
  });

  it('its own dead-lettered copy answers it', () => {
    const trace = buildTrace(WF, [msg('c1', 'payment.process.command.v1', null, 1), msg('c1', 'payment.process.command.v1', null, 9, { deadLetter: true })]);
    expect(outcomeOf(node(trace, 'c1'))).toBe('dead-lettered');
    expect(workflowAnswered(trace)).toBe(true);
  });

  it('a command that only caused another command is still waiting, and so is the workflow', () => {
    const trace = buildTrace(WF, [
      msg('t1', 'tracking.create_event.command.v1', null, 1),
      msg('e1', 'tracking_event.created.v1', 't1', 2),
      msg('k1', 'commission.calculate.command.v1', 't1', 3),
    ]);
    expect(outcomeOf(node(trace, 't1'))).toBe('done');
    expect(outcomeOf(node(trace, 'k1'))).toBeUndefined();
    expect(outcomeOf(node(trace, 'e1'))).toBeUndefined();
    expect(unansweredCommands(trace).map((n) => n.message.id)).toEqual(['k1']);
    expect(workflowAnswered(trace)).toBe(false);
  });

  it("reads the dashboard's observed kinds the same way", () => {
    expect(answerOf({ kind: 'event', id: 'e', causationId: 'c' })).toEqual({ commandId: 'c', outcome: 'done' });
    expect(answerOf({ kind: 'rejection', id: 'r', causationId: 'c' })).toEqual({ commandId: 'c', outcome: 'rejected' });
    expect(answerOf({ kind: 'dead-letter', id: 'c', causationId: null })).toEqual({ commandId: 'c', outcome: 'dead-lettered' });
    expect(answerOf({ kind: 'event', id: 'e', causationId: undefined })).toEqual({ commandId: undefined, outcome: 'done' });
    expect(answerOf({ kind: 'command', id: 'c' })).toBeUndefined();
    expect(answerOf({ kind: 'undecodable', id: 'x' })).toBeUndefined();
  });
});
