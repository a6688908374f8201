/**
 * A flow against what a fresh run produced. Pure: the flow, the ids of the roots that were
 * sent and the trace of the run in; named failures out, each naming its hop
 * ("commission.calculated.v1 → payment.process.command.v1: missing").
 *
 * Matching: the effects of a matched cause are paired with the expected effects by type
 * (the topic breaks ties); an expected effect left over is paired with a left-over observed
 * effect of another type ("different type"), else it is missing; an observed effect left
 * over is an extra hop. The subtree under a missing or retyped hop is not compared further
 * (one failure per break, not one per message after it).
 */
import { specOf } from '../catalog/index.js';
import { shortTopicName } from '../topics.js';
import type { Trace, TraceNode } from '../trace.js';
import type { Flow, FlowHop, FlowNode } from './format.js';
import { sameValue, valueAt } from './record.js';

export type FailureKind = 'root' | 'missing' | 'extra' | 'type' | 'topic' | 'dead-letter' | 'carry' | 'latency';

export interface FlowFailure {
  kind: FailureKind;
  /** "cause type → effect type" (node ids when a type appears twice in the flow). */
  hop: string;
  /** The whole line: hop and what is wrong. */
  message: string;
}

export interface Comparison {
  failures: FlowFailure[];
  /** Expected nodes (of the roots compared) and how many were found. */
  expected: number;
  matched: number;
  /** Observed hops (cause → effect pairs) and the slowest one, ms. */
  observedHops: number;
  slowestMs: number;
}

interface Shape {
  nodes: Map<string, FlowNode>;
  effects: Map<string, FlowHop[]>;
}

function shapeOf(flow: Flow): Shape {
  const effects = new Map<string, FlowHop[]>();
  for (const h of flow.hops) effects.set(h.from, [...(effects.get(h.from) ?? []), h]);
  return { nodes: new Map(flow.nodes.map((n) => [n.id, n])), effects };
}

/** How many nodes hang under (and include) a node. */
function sizeOf(shape: Shape, id: string): number {
  return 1 + (shape.effects.get(id) ?? []).reduce((s, h) => s + sizeOf(shape, h.to), 0);
}

/**
 * Compare the first `rootCount` roots of `flow` (all by default) with `trace`.
 * `sentIds[i]` is the envelope id the i-th root was sent with.
 */
export function compareFlow(flow: Flow, trace: Trace, sentIds: readonly string[], opts: { rootCount?: number; latency?: boolean } = {}): Comparison {
  const shape = shapeOf(flow);
  const failures: FlowFailure[] = [];
  const checkLatency = opts.latency ?? true;
  const dup = new Set(flow.nodes.filter((n, i) => flow.nodes.findIndex((m) => m.type === n.type) !== i).map((n) => n.type));
  const label = (id: string): string => {
    const n = shape.nodes.get(id);
    return n && !dup.has(n.type) ? n.type : id;
  };
  const fail = (kind: FailureKind, hop: string, what: string): void => {
    failures.push({ kind, hop, message: `${hop}: ${what}` });
  };
  let expected = 0;
  let matched = 0;
  let observedHops = 0;
  let slowestMs = 0;

  const walk = (id: string, seen: TraceNode): void => {
    matched++;
    const exp = shape.nodes.get(id)!;
    if (shortTopicName(seen.message.topic) !== exp.topic) fail('topic', label(id), `read from ${shortTopicName(seen.message.topic)}, expected ${exp.topic}`);
    if (seen.deadLettered && !exp.deadLettered) fail('dead-letter', label(id), 'dead-lettered by its consumer');
    if (!seen.deadLettered && exp.deadLettered) fail('dead-letter', label(id), 'was expected to be dead-lettered, and was handled');

    const hops = shape.effects.get(id) ?? [];
    const left = [...seen.children];
    observedHops += left.length;
    for (const c of left) slowestMs = Math.max(slowestMs, c.latencyMs ?? 0);
    const pending: FlowHop[] = [];
    const pairs: [FlowHop, TraceNode][] = [];
    for (const h of hops) {
      const want = shape.nodes.get(h.to)!;
      let i = left.findIndex((c) => c.message.type === want.type && shortTopicName(c.message.topic) === want.topic);
      if (i < 0) i = left.findIndex((c) => c.message.type === want.type);
      if (i < 0) {
        pending.push(h);
        continue;
      }
      pairs.push([h, left.splice(i, 1)[0]!]);
    }
    for (const h of pending) {
      const name = `${label(h.from)} → ${label(h.to)}`;
      const other = left.shift();
      if (other) fail('type', name, `different type: got ${other.message.type}`);
      else if (exp.kind === 'command' && seen.children.length === 0)
        fail('missing', name, `missing (nothing came back from the ${specOf(exp.type)?.owner ?? 'owning'} service: is it running?)`);
      else fail('missing', name, 'missing');
    }
    for (const c of left) fail('extra', `${label(id)} → ${c.message.type}`, 'extra hop, not in the flow');
    for (const [h, c] of pairs) {
      const name = `${label(h.from)} → ${label(h.to)}`;
      for (const [effectPath, causePath] of Object.entries(h.carries)) {
        const want = valueAt(seen.message, causePath);
        const got = valueAt(c.message, effectPath);
        if (!sameValue(want, got)) {
          fail(
            'carry',
            name,
            `${effectPath} no longer carries over ${causePath === effectPath ? '' : `from ${causePath} `}(cause ${show(want)}, effect ${show(got)})`,
          );
        }
      }
      if (checkLatency && c.latencyMs !== null && c.latencyMs > h.budgetMs)
        fail('latency', name, `took ${c.latencyMs} ms, over its budget of ${h.budgetMs} ms`);
      walk(h.to, c);
    }
  };

  const count = opts.rootCount ?? flow.roots.length;
  const sentRoots = new Set(sentIds.slice(0, count));
  for (let i = 0; i < count; i++) {
    const root = flow.roots[i]!;
    expected += sizeOf(shape, root.node);
    const id = sentIds[i];
    const node = id === undefined ? undefined : trace.nodes.find((n) => n.message.id === id);
    if (!node) {
      fail('root', label(root.node), `sent, but not read back from ${shape.nodes.get(root.node)!.topic}`);
      continue;
    }
    walk(root.node, node);
  }
  for (const r of trace.roots) {
    if (!sentRoots.has(r.message.id) && !sentIds.slice(count).includes(r.message.id))
      fail('extra', r.message.type, 'extra message in the workflow, caused by nothing that was sent');
  }
  return { failures, expected, matched, observedHops, slowestMs };
}

function show(v: unknown): string {
  if (v === undefined) return 'absent';
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}
