/**
 * Workflows as the dashboard sees them: the messages of each correlation id, and per
 * service stage whether its command is pending, answered (done) or failed, by the one
 * "answered" rule of core/read/outcome.ts that `send --wait` uses too. Bounded: workflows
 * are evicted least-recently-active first, each keeps a ring of its latest messages.
 */
import { SERVICES, type ServiceName } from '../../config/index.js';
import type { ObservedMessage } from '../../core/monitor.js';
import { answerOf } from '../../core/read/outcome.js';
import { NO_FILTER, type MessageFilter } from './filter.js';
import { RingBuffer } from './ring.js';

/** A workflow still waiting for a reply after this long is shown as stalled. */
export const STALL_AFTER_MS = 30_000;

export type StageStatus = 'none' | 'pending' | 'done' | 'failed';
export type WorkflowStatus = 'in-flight' | 'stalled' | 'done' | 'failed';

export interface StageView {
  service: ServiceName;
  status: StageStatus;
  reason?: string;
}

export interface WorkflowView {
  correlationId: string;
  status: WorkflowStatus;
  stages: StageView[];
  /** First and last broker publish times seen (one clock, as `miso trace` measures). */
  startedAt: number;
  lastAt: number;
  durationMs: number;
  messages: number;
  lastType: string;
  /** First failure reason, when failed. */
  failure?: string;
}

interface StageState {
  status: StageStatus;
  pending: Set<string>;
  reason?: string;
}

interface WorkflowState {
  correlationId: string;
  startedAt: number;
  lastAt: number;
  /** Wall clock (store clock) of the last message, for stall detection. */
  lastSeenAt: number;
  messages: RingBuffer<ObservedMessage>;
  stages: Map<ServiceName, StageState>;
  /** Command ids already answered, so an answer read before its command does not leave it pending. */
  answered: Set<string>;
  lastType: string;
  count: number;
}

export interface WorkflowLimits {
  /** Workflows kept (least recently active evicted first). */
  workflows: number;
  /** Messages kept per workflow for its trace. */
  messagesPerWorkflow: number;
}

export class WorkflowTracker {
  private readonly map = new Map<string, WorkflowState>();

  constructor(
    private readonly limits: WorkflowLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Take one message with a correlation id into its workflow. */
  track(m: ObservedMessage): void {
    const at = m.publishTime || m.timestamp;
    let wf = this.map.get(m.correlationId);
    if (wf) {
      // Re-insert so Map order is least-recently-active first.
      this.map.delete(m.correlationId);
    } else {
      wf = {
        correlationId: m.correlationId,
        startedAt: at,
        lastAt: at,
        lastSeenAt: this.now(),
        messages: new RingBuffer(this.limits.messagesPerWorkflow),
        stages: new Map(),
        answered: new Set(),
        lastType: m.type,
        count: 0,
      };
      while (this.map.size >= this.limits.workflows) {
        const oldest = this.map.keys().next().value as string;
        this.map.delete(oldest);
      }
    }
    this.map.set(m.correlationId, wf);
    wf.messages.push(m);
    wf.count++;
    wf.startedAt = Math.min(wf.startedAt, at);
    if (at >= wf.lastAt) {
      wf.lastAt = at;
      wf.lastType = m.type;
    }
    wf.lastSeenAt = this.now();

    let stage = wf.stages.get(m.service);
    if (!stage) wf.stages.set(m.service, (stage = { status: 'none', pending: new Set() }));
    if (m.kind === 'command') {
      if (!wf.answered.has(m.id)) {
        stage.pending.add(m.id);
        if (stage.status === 'none') stage.status = 'pending';
      }
      return;
    }
    // The same rule as `miso send --wait`: an event, a rejection or the command's dead letter answers it.
    const a = answerOf(m);
    if (!a) return;
    if (a.outcome === 'done') this.answer(wf, stage, a.commandId, 'done');
    else this.answer(wf, stage, a.commandId, 'failed', m.reason ?? (a.outcome === 'rejected' ? m.type : 'dead-lettered'));
  }

  private answer(wf: WorkflowState, stage: StageState, commandId: string | undefined, status: 'done' | 'failed', reason?: string): void {
    if (commandId !== undefined) {
      if (wf.answered.size >= 256) wf.answered.clear();
      wf.answered.add(commandId);
      // The answer may come from a stage other than the command's (a rejection is published on
      // the owning service's event topic, which is the same stage; keep it general anyway).
      for (const s of wf.stages.values()) s.pending.delete(commandId);
    }
    stage.status = status;
    if (reason !== undefined) stage.reason = reason;
    else if (status === 'done') delete stage.reason;
  }

  /** In-flight (and stalled) workflows first, newest first within each group. */
  list(n: number, filter: MessageFilter = NO_FILTER): WorkflowView[] {
    const active: WorkflowView[] = [];
    const settled: WorkflowView[] = [];
    const all = [...this.map.values()];
    // Most recently active first.
    for (let i = all.length - 1; i >= 0; i--) {
      const wf = all[i]!;
      if (filter !== NO_FILTER && !matches(wf, filter)) continue;
      const v = this.viewOf(wf);
      if (v.status === 'in-flight' || v.status === 'stalled') active.push(v);
      else if (settled.length < n) settled.push(v);
    }
    active.sort((a, b) => b.startedAt - a.startedAt);
    return [...active, ...settled].slice(0, n);
  }

  get(correlationId: string): WorkflowView | undefined {
    const wf = this.map.get(correlationId);
    return wf ? this.viewOf(wf) : undefined;
  }

  /** The messages kept for one workflow, oldest first. */
  messages(correlationId: string): ObservedMessage[] {
    return this.map.get(correlationId)?.messages.toArray() ?? [];
  }

  private viewOf(wf: WorkflowState): WorkflowView {
    const now = this.now();
    let pending = false;
    let failure: string | undefined;
    const stages: StageView[] = SERVICES.map((service) => {
      const s = wf.stages.get(service);
      if (!s) return { service, status: 'none' as const };
      const status: StageStatus = s.pending.size > 0 && s.status !== 'failed' ? 'pending' : s.status;
      if (s.pending.size > 0) pending = true;
      if (status === 'failed' && failure === undefined) failure = `${service}: ${s.reason ?? 'failed'}`;
      return { service, status, ...(s.reason !== undefined && status === 'failed' ? { reason: s.reason } : {}) };
    });
    let status: WorkflowStatus;
    if (failure !== undefined) status = 'failed';
    else if (pending) status = now - wf.lastSeenAt > STALL_AFTER_MS ? 'stalled' : 'in-flight';
    else status = 'done';
    const inFlight = status === 'in-flight';
    return {
      correlationId: wf.correlationId,
      status,
      stages,
      startedAt: wf.startedAt,
      lastAt: wf.lastAt,
      durationMs: Math.max(0, (inFlight ? Math.max(now, wf.lastAt) : wf.lastAt) - wf.startedAt),
      messages: wf.count,
      lastType: wf.lastType,
      ...(failure !== undefined ? { failure } : {}),
    };
  }
}

function matches(wf: WorkflowState, filter: MessageFilter): boolean {
  for (let i = 0; i < wf.messages.size; i++) if (filter.matches(wf.messages.at(i)!)) return true;
  return false;
}
