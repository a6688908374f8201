/**
 * The dashboard's dead-letter groups: the dead letters it sees, grouped by service, message
 * type and the error with its particulars stripped (the normalisation `miso dlq groups`
 * uses). The live view has no schema version at hand, so its groups can be coarser than the
 * command's; the panel points to `miso dlq groups` for the ids to replay. Bounded.
 */
import type { ServiceName } from '../../config/index.js';
import type { ObservedMessage } from '../../core/monitor.js';
import { normaliseError } from '../../core/dlq/groups.js';

export interface DeadLetterGroupView {
  service: ServiceName;
  type: string;
  error: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The correlation id of the latest one, to open its workflow. */
  exampleCorrelationId: string;
}

const MAX_GROUPS = 200;

export class DeadLetterGroups {
  private readonly groups = new Map<string, DeadLetterGroupView>();
  total = 0;

  add(m: ObservedMessage): void {
    // observe() words it `dead-lettered from <topic>: <error>`; the group is about the error.
    const error = normaliseError((m.reason ?? 'dead-lettered').replace(/^dead-lettered from \S+: /, ''));
    const key = `${m.service}\u0000${m.type}\u0000${error}`;
    const at = m.publishTime || m.timestamp;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) this.evictOldest();
      g = { service: m.service, type: m.type, error, count: 0, firstSeen: at, lastSeen: at, exampleCorrelationId: m.correlationId };
      this.groups.set(key, g);
    }
    g.count++;
    this.total++;
    if (at >= g.lastSeen) {
      g.lastSeen = at;
      g.exampleCorrelationId = m.correlationId;
    }
    g.firstSeen = Math.min(g.firstSeen, at);
  }

  get size(): number {
    return this.groups.size;
  }

  list(n: number): DeadLetterGroupView[] {
    return [...this.groups.values()]
      .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen)
      .slice(0, n)
      .map((g) => ({ ...g }));
  }

  private evictOldest(): void {
    let oldest: [string, DeadLetterGroupView] | undefined;
    for (const e of this.groups) if (!oldest || e[1].lastSeen < oldest[1].lastSeen) oldest = e;
    if (oldest) this.groups.delete(oldest[0]);
  }
}
