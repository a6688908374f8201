/**
 * The checklist both `miso init` and `miso doctor` print: one line per step, a mark, the
 * step's name in a column, what happened, and under a failure or a warning the next step.
 *
 *   ✔ tenant miso                allowed on standalone
 *   · topic campaign-commands    exists
 *   ✖ namespace miso/default     cannot create it: 403 Forbidden
 *                                → Give the token admin rights on the tenant.
 */
import type { ChalkInstance } from 'chalk';

/**
 * What a step came to. `ok`, `warn` and `failed` are verdicts (a check), `created`,
 * `updated` and `exists` are what an action did; `skipped` is neither.
 */
export type ChecklistStatus = 'ok' | 'created' | 'updated' | 'exists' | 'warn' | 'failed' | 'skipped';

export interface ChecklistItem {
  name: string;
  status: ChecklistStatus;
  detail?: string | undefined;
  /** The next step; shown under failed and warning lines. */
  hint?: string | undefined;
}

const ACTIONS: ReadonlySet<ChecklistStatus> = new Set(['created', 'updated', 'exists']);

export class Checklist {
  private lastHint: string | undefined;

  /** `width`: the name column (the longest name the list will show). */
  constructor(
    private readonly color: ChalkInstance,
    private readonly width: number,
  ) {}

  /** The lines for one step (one, or two with a hint). */
  lines(item: ChecklistItem): string[] {
    const c = this.color;
    const out = [`${this.mark(item.status)} ${item.name.padEnd(this.width)}  ${this.text(item)}`];
    // The same advice under consecutive lines (eight schemas) is said once.
    if (item.hint && (item.status === 'failed' || item.status === 'warn') && item.hint !== this.lastHint) {
      out.push(`  ${' '.repeat(this.width)}  ${c.dim(`→ ${item.hint}`)}`);
    }
    this.lastHint = item.hint;
    return out;
  }

  private mark(status: ChecklistStatus): string {
    const c = this.color;
    switch (status) {
      case 'ok':
      case 'created':
        return c.green('✔');
      case 'updated':
        return c.yellow('↻');
      case 'exists':
        return c.dim('·');
      case 'warn':
        return c.yellow('!');
      case 'failed':
        return c.red('✖');
      case 'skipped':
        return c.dim('-');
    }
  }

  private text(item: ChecklistItem): string {
    const c = this.color;
    const detail = item.detail ?? '';
    // An action says what it did (the detail in brackets); a verdict says what it found.
    if (ACTIONS.has(item.status)) return c.dim(detail ? `${item.status} (${detail})` : item.status);
    switch (item.status) {
      case 'failed':
        return c.red(detail || 'failed');
      case 'skipped':
        return c.dim(detail ? `skipped: ${detail}` : 'skipped');
      default:
        return detail;
    }
  }
}

/** The width of a name column that fits all of `names` and at least `min`. */
export function columnWidth(names: readonly string[], min = 0): number {
  return Math.max(min, ...names.map((n) => n.length));
}
