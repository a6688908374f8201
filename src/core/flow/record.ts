/**
 * A flow from a recorded workflow: the trace (src/core/trace.ts) with ids and times taken
 * out. Pure: a trace in, a flow out.
 *
 * Budgets. A hop's budget is max(observed × headroom, floor), rounded up to 50 ms; by
 * default headroom 5 and floor 1000 ms. The floor is high on purpose: hops take a few
 * milliseconds on an idle machine and a few hundred on a loaded CI runner, and the budget
 * is there to catch a hop that became an order of magnitude slower (a retry loop, a lost
 * index, a timeout in the chain), not scheduling noise. A flow file can be edited to
 * tighten one hop.
 *
 * Carried fields. For each hop, every leaf of the effect's payload (strings that are not
 * empty, numbers) whose value equals a leaf of the cause's payload is recorded as
 * effect path → cause path; the same path is preferred when several cause fields hold the
 * value. The cause's envelope id and type count too (`$id`, `$type`: a rejection names the
 * command it refuses). Booleans and nulls are left out: they are equal by coincidence too
 * often to be a rule.
 */
import { MisoError } from '../../errors.js';
import { specOf } from '../catalog/index.js';
import { shortTopicName } from '../topics.js';
import type { Trace, TraceNode } from '../trace.js';
import { FLOW_FORMAT, FLOW_VERSION, type Flow, type FlowHop, type FlowNode, type FlowRoot } from './format.js';

export interface BudgetRule {
  headroom: number;
  floorMs: number;
}
export const DEFAULT_BUDGET: BudgetRule = { headroom: 5, floorMs: 1000 };

export function budgetOf(observedMs: number, rule: BudgetRule = DEFAULT_BUDGET): number {
  return Math.max(Math.ceil((Math.max(0, observedMs) * rule.headroom) / 50) * 50, rule.floorMs);
}

export function describeBudget(rule: BudgetRule): string {
  return `each hop: max(observed × ${rule.headroom}, ${rule.floorMs} ms), rounded up to 50 ms`;
}

/** Leaves of a payload: path → value (objects by `.`, arrays by `[i]`). */
export function leaves(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${prefix}[${i}]`, into));
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, into);
  } else into.set(prefix, value);
  return into;
}

/** Values that can make a carry-over rule (see the module comment). */
export function isCarriable(v: unknown): boolean {
  return (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint';
}

/** The value at a path of `leaves`, with `$id`/`$type` for the envelope. */
export function valueAt(message: { id: string; type: string; payload?: unknown }, path: string): unknown {
  if (path === '$id') return message.id;
  if (path === '$type') return message.type;
  return leaves(message.payload).get(path);
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint')
    return (typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number') && BigInt(a) === BigInt(b);
  return a === b;
}

/** Effect path → cause path for every value the effect took over from its cause. */
export function carriedFields(cause: { id: string; type: string; payload?: unknown }, effect: { payload?: unknown }): Record<string, string> {
  const from = leaves(cause.payload);
  from.set('$id', cause.id);
  from.set('$type', cause.type);
  const out: Record<string, string> = {};
  for (const [path, v] of leaves(effect.payload)) {
    if (!isCarriable(v)) continue;
    if (from.has(path) && sameValue(from.get(path), v)) {
      out[path] = path;
      continue;
    }
    const match = [...from.entries()]
      .filter(([, c]) => isCarriable(c) && sameValue(c, v))
      .map(([p]) => p)
      .sort()[0];
    if (match !== undefined) out[path] = match;
  }
  return out;
}

/**
 * The flow of a recorded workflow. Roots are kept in the order they were sent (that order
 * is part of the behaviour: a video is added after its campaign); the effects of one cause
 * are ordered by type, then topic, so a race between two effects changes nothing.
 */
export function flowFromTrace(trace: Trace, opts: { name: string; budget?: BudgetRule }): Flow {
  const rule = opts.budget ?? DEFAULT_BUDGET;
  if (trace.nodes.length === 0)
    throw new MisoError(`workflow ${trace.correlationId} has no messages`, { hint: 'Check the id with `miso trace <correlation-id>`.' });
  for (const r of trace.roots) {
    if (r.missingCause) {
      throw new MisoError(`workflow ${trace.correlationId} starts with ${r.message.type}, whose cause was not found`, {
        hint: 'Its cause is older than the window: record again with a wider --since (e.g. --since 24h).',
      });
    }
    if (!specOf(r.message.type))
      throw new MisoError(`workflow ${trace.correlationId} starts with ${r.message.type}, which is not in the catalog`, {
        hint: 'Only workflows started by catalog messages can be sent again.',
      });
  }

  const counts = new Map<string, number>();
  const idOf = new Map<TraceNode, string>();
  const nodes: FlowNode[] = [];
  const hops: FlowHop[] = [];
  const order = (a: TraceNode, b: TraceNode): number =>
    a.message.type.localeCompare(b.message.type) || shortTopicName(a.message.topic).localeCompare(shortTopicName(b.message.topic)) || 0;
  const visit = (n: TraceNode, parent: TraceNode | undefined): void => {
    const seen = (counts.get(n.message.type) ?? 0) + 1;
    counts.set(n.message.type, seen);
    const id = seen === 1 ? n.message.type : `${n.message.type}#${seen}`;
    idOf.set(n, id);
    nodes.push({ id, type: n.message.type, topic: shortTopicName(n.message.topic), kind: n.kind, ...(n.deadLettered ? { deadLettered: true } : {}) });
    if (parent) hops.push({ from: idOf.get(parent)!, to: id, budgetMs: budgetOf(n.latencyMs ?? 0, rule), carries: carriedFields(parent.message, n.message) });
    // Children were sorted by time in the trace; a stable sort by type keeps time order among equals.
    for (const c of [...n.children].sort(order)) visit(c, n);
  };
  for (const r of trace.roots) visit(r, undefined);

  return {
    format: FLOW_FORMAT,
    version: FLOW_VERSION,
    name: opts.name,
    budget: describeBudget(rule),
    roots: rootsWithPlaceholders(
      trace.roots.map((r) => ({ node: idOf.get(r)!, type: r.message.type, payload: (r.message.payload ?? {}) as Record<string, unknown> })),
    ),
    nodes,
    hops,
  };
}

/**
 * Root payloads with their generated ids as placeholders: each value of a generated-id field
 * (campaign_id of a create, video_id of an add_video…) becomes `{{field}}` (`{{field_2}}`
 * for a second one), everywhere it appears in any root payload.
 */
export function rootsWithPlaceholders(roots: readonly { node: string; type: string; payload: Record<string, unknown> }[]): FlowRoot[] {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const r of roots) {
    for (const f of specOf(r.type)?.generatedIds ?? []) {
      const v = r.payload[f];
      if (typeof v !== 'string' || v === '' || names.has(v)) continue;
      let name = f;
      for (let i = 2; used.has(name); i++) name = `${f}_${i}`;
      used.add(name);
      names.set(v, `{{${name}}}`);
    }
  }
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') return names.get(v) ?? v;
    if (Array.isArray(v)) return v.map(swap);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return roots.map((r) => ({ node: r.node, payload: swap(r.payload) as Record<string, unknown> }));
}
