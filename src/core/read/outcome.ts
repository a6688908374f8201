/**
 * When has a sent command got its outcome? One rule for `send --wait`, the demo and the
 * dashboard: a command is answered by an event that names it as its cause (done), by a
 * rejection that names it (rejected), or by its own dead-lettered copy (a consumer gave up).
 */
import type { Trace, TraceNode } from '../trace.js';

export type CommandOutcome = 'done' | 'rejected' | 'dead-lettered';

export interface Answer {
  /** The command answered; undefined when the answer names no cause. */
  commandId: string | undefined;
  outcome: CommandOutcome;
}

/** A message as far as the rule needs it: a trace message or a message the dashboard observed. */
export interface AnsweringMessage {
  /** `command`, `event`, `rejection`, or `dead-letter` (the dashboard's kind for a dead letter). */
  kind: string;
  /** Read from a dead-letter topic. */
  deadLetter?: boolean;
  id: string;
  causationId?: string | null | undefined;
}

/** The answer a message gives, or undefined when it answers nothing (a command, bytes that did not decode). */
export function answerOf(m: AnsweringMessage): Answer | undefined {
  // The dead-lettered message is the command itself: its id is the command's id.
  if (m.deadLetter || m.kind === 'dead-letter') return { commandId: m.id, outcome: 'dead-lettered' };
  if (m.kind === 'event') return { commandId: m.causationId ?? undefined, outcome: 'done' };
  if (m.kind === 'rejection') return { commandId: m.causationId ?? undefined, outcome: 'rejected' };
  return undefined;
}

/** The outcome of one command of a trace, or undefined while it has none (and for a node that is not a command). */
export function outcomeOf(node: TraceNode): CommandOutcome | undefined {
  if (node.kind !== 'command') return undefined;
  if (node.deadLettered) return 'dead-lettered';
  let outcome: CommandOutcome | undefined;
  for (const c of node.children) {
    const a = answerOf({ kind: c.kind, id: c.message.id, causationId: c.message.causationId });
    if (a?.commandId !== node.message.id) continue;
    if (a.outcome === 'rejected') return 'rejected';
    outcome = a.outcome;
  }
  return outcome;
}

/** The commands of a trace still waiting for their outcome. */
export function unansweredCommands(trace: Trace): TraceNode[] {
  return trace.nodes.filter((n) => n.kind === 'command' && outcomeOf(n) === undefined);
}

/** Every command of the workflow has its outcome. */
export function workflowAnswered(trace: Trace): boolean {
  return unansweredCommands(trace).length === 0;
}
