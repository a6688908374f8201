/**
 * `dlq replay --wait`: follow each replayed command to its outcome with the one rule of
 * ../read/outcome.ts — an event caused by it (handled), a rejection naming it (rejected again,
 * with the reason), its own copy on a dead-letter topic (dead-lettered again) — or, when the
 * time is up, still pending. Readers are opened at `latest` before the replay sends anything,
 * so the old dead letter of the same command id is not mistaken for a new one.
 */
import type { PulsarClient } from '../../pulsar/index.js';
import { specOf } from '../catalog/index.js';
import { openReaders, scanReaders, type OpenReader } from '../tail.js';
import { workflowSources } from '../read/query.js';
import { answerOf } from '../read/outcome.js';
import { deadLetterReason } from '../read/dead-letter.js';
import type { TopicScope } from '../topics.js';

export type ReplayOutcome = 'handled' | 'rejected' | 'dead-lettered' | 'pending';

export interface FollowedReplay {
  /** The command id (the envelope id, the same as the dead letter's). */
  commandId: string;
  correlationId: string;
  outcome: ReplayOutcome;
  /** The rejection reason or the dead-letter reason. */
  reason?: string;
  /** What answered: the event type, or the topic of the new dead letter. */
  answeredBy?: string;
  /** From the replay being sent to its answer. */
  latencyMs?: number;
}

export class ReplayFollower {
  private constructor(
    private readonly client: PulsarClient,
    private readonly readers: OpenReader[],
  ) {}

  static async open(client: PulsarClient, scope: TopicScope): Promise<ReplayFollower> {
    return new ReplayFollower(client, await openReaders(client, workflowSources(scope), 'latest'));
  }

  /** Outcomes of `commands` (sent at `sentAt`), in their order; gives up after `timeoutMs`. */
  async follow(
    commands: readonly { commandId: string; correlationId: string; sentAt: number }[],
    opts: { timeoutMs: number; onOutcome?: (f: FollowedReplay) => void },
  ): Promise<FollowedReplay[]> {
    const byId = new Map(commands.map((c) => [c.commandId, c]));
    const outcomes = new Map<string, FollowedReplay>();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
    if (byId.size === 0) abort.abort();
    try {
      const correlationIds = new Set(commands.map((c) => c.correlationId));
      for await (const m of scanReaders(this.client, this.readers, { start: 'latest', follow: true, signal: abort.signal, filter: { correlationIds } })) {
        const env = m.envelope;
        if (!env || m.error) continue;
        const kind = m.deadLetter ? 'dead-letter' : (specOf(env.type)?.kind ?? 'event');
        const a = answerOf({ kind, deadLetter: m.deadLetter ?? false, id: env.id, causationId: env.causation_id });
        const cmd = a?.commandId !== undefined ? byId.get(a.commandId) : undefined;
        if (!a || !cmd || outcomes.has(cmd.commandId)) continue;
        const payload = env.payload as unknown as Record<string, unknown>;
        const f: FollowedReplay = {
          commandId: cmd.commandId,
          correlationId: cmd.correlationId,
          outcome: a.outcome === 'done' ? 'handled' : a.outcome,
          answeredBy: a.outcome === 'dead-lettered' ? m.topic : env.type,
          latencyMs: Math.max(0, m.publishTime - cmd.sentAt),
          ...(a.outcome === 'rejected' ? { reason: `${String(payload.reason_code)}: ${String(payload.message)}` } : {}),
          ...(a.outcome === 'dead-lettered' ? { reason: deadLetterReason(m.properties) ?? 'still failing after its last redelivery' } : {}),
        };
        outcomes.set(cmd.commandId, f);
        opts.onOutcome?.(f);
        if (outcomes.size === byId.size) abort.abort();
      }
    } finally {
      clearTimeout(timer);
    }
    return commands.map((c) => outcomes.get(c.commandId) ?? { commandId: c.commandId, correlationId: c.correlationId, outcome: 'pending' as const });
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((o) => o.reader.close().catch(() => {})));
  }
}
