/**
 * The flow file: the causal graph of one workflow with no ids and no timestamps, so two
 * recordings of the same behaviour are the same file and a change shows as a small diff.
 * Pure: text in, checked object out (or a UsageError naming the file and the field).
 *
 *   {
 *     "format": "miso-flow", "version": 1, "name": "tracking-click",
 *     "budget": "…how budgets were derived…",
 *     "roots":  [{ "node": "campaign.create.command.v1", "payload": { "campaign_id": "{{campaign_id}}", … } }],
 *     "nodes":  [{ "id": "campaign.create.command.v1", "type": "…", "topic": "campaign-commands", "kind": "command" }],
 *     "hops":   [{ "from": "<node id>", "to": "<node id>", "budgetMs": 1000, "carries": { "<effect path>": "<cause path>" } }]
 *   }
 *
 * Node ids are the message type, with `#2`, `#3` for later nodes of the same type. Root
 * payloads keep what the sender chose, except the generated ids (`campaign_id` of a create,
 * `video_id`, `tracking_event_id`…), which become `{{placeholders}}`: verify gives each a
 * fresh UUID, the same one wherever the placeholder appears (so a tracking event still
 * names the video the flow added).
 */
import { UsageError } from '../../errors.js';
import { specOf, validate } from '../catalog/index.js';

export const FLOW_FORMAT = 'miso-flow';
export const FLOW_VERSION = 1;

export interface FlowRoot {
  /** Node id of the root message. */
  node: string;
  /** The payload to send again; generated ids are `{{name}}` placeholders. */
  payload: Record<string, unknown>;
}

export interface FlowNode {
  id: string;
  type: string;
  /** Short topic name (`campaign-events`), so the flow is independent of tenant/namespace. */
  topic: string;
  kind: string;
  /** A consumer gave up on this message and dead-lettered it. */
  deadLettered?: boolean;
}

export interface FlowHop {
  from: string;
  to: string;
  /** Most the hop may take (cause publish → effect publish), ms. */
  budgetMs: number;
  /**
   * Fields of the effect whose value must equal a field of the cause: effect path → cause
   * path (`$id`/`$type` name the cause's envelope id and type).
   */
  carries: Record<string, string>;
}

export interface Flow {
  format: typeof FLOW_FORMAT;
  version: typeof FLOW_VERSION;
  name: string;
  budget?: string;
  roots: FlowRoot[];
  nodes: FlowNode[];
  hops: FlowHop[];
}

const PLACEHOLDER = /^\{\{([a-z0-9_]+)\}\}$/;

/** The placeholder names in a payload (`{{campaign_id}}` → campaign_id). */
export function placeholdersOf(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const m = PLACEHOLDER.exec(value);
    if (m) into.add(m[1]!);
  } else if (Array.isArray(value)) for (const v of value) placeholdersOf(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) placeholdersOf(v, into);
  return into;
}

/** The payload with each `{{name}}` replaced by `values[name]`. */
export function fillPlaceholders(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const m = PLACEHOLDER.exec(value);
    return m && values.has(m[1]!) ? values.get(m[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, values)]));
  }
  return value;
}

/** The flow as the text of its file: two-space JSON, fields in a fixed order, trailing newline. */
export function flowText(flow: Flow): string {
  const ordered = {
    format: flow.format,
    version: flow.version,
    name: flow.name,
    ...(flow.budget !== undefined ? { budget: flow.budget } : {}),
    roots: flow.roots.map((r) => ({ node: r.node, payload: r.payload })),
    nodes: flow.nodes.map((n) => ({ id: n.id, type: n.type, topic: n.topic, kind: n.kind, ...(n.deadLettered ? { deadLettered: true } : {}) })),
    hops: flow.hops.map((h) => ({
      from: h.from,
      to: h.to,
      budgetMs: h.budgetMs,
      carries: Object.fromEntries(Object.entries(h.carries).sort(([a], [b]) => a.localeCompare(b))),
    })),
  };
  return JSON.stringify(ordered, null, 2) + '\n';
}

const NEXT = 'Record one with `miso flow record <correlation-id> --out <file>`.';

/** Check the text of a flow file; `source` names it in errors. Throws a UsageError with the first problem. */
export function parseFlow(text: string, source: string): Flow {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not a flow file: not JSON (${(err as Error).message.replace(/\s+/g, ' ').trim()})`, { hint: NEXT });
  }
  const fail = (what: string): never => {
    throw new UsageError(`${source} is not a flow file: ${what}`, { hint: NEXT });
  };
  if (!isObject(raw)) return fail('expected a JSON object');
  if (raw.format !== FLOW_FORMAT) return fail(`"format" is ${JSON.stringify(raw.format)}, expected "${FLOW_FORMAT}"`);
  if (raw.version !== FLOW_VERSION) {
    throw new UsageError(`${source}: flow format version ${JSON.stringify(raw.version)} is not supported (this miso reads version ${FLOW_VERSION})`, {
      hint: 'Record the flow again with this miso: `miso flow record <correlation-id> --out <file>`.',
    });
  }
  if (typeof raw.name !== 'string' || raw.name === '') fail('"name" is missing');
  for (const key of ['roots', 'nodes', 'hops'] as const) if (!Array.isArray(raw[key])) fail(`"${key}" is missing (an array)`);
  const nodes = raw.nodes as unknown[];
  const hops = raw.hops as unknown[];
  const roots = raw.roots as unknown[];
  if (roots.length === 0) fail('"roots" is empty: nothing to send');

  const ids = new Map<string, FlowNode>();
  nodes.forEach((n, i) => {
    if (!isObject(n)) return fail(`nodes[${i}] is not an object`);
    for (const k of ['id', 'type', 'topic', 'kind'] as const) if (typeof n[k] !== 'string' || n[k] === '') fail(`nodes[${i}].${k} is missing`);
    if (!specOf(n.type as string)) fail(`nodes[${i}].type "${String(n.type)}" is not a message type of the catalog`);
    if (ids.has(n.id as string)) fail(`nodes[${i}].id "${String(n.id)}" appears twice`);
    ids.set(n.id as string, n as unknown as FlowNode);
  });
  const hasCause = new Set<string>();
  hops.forEach((h, i) => {
    if (!isObject(h)) return fail(`hops[${i}] is not an object`);
    for (const k of ['from', 'to'] as const) {
      if (typeof h[k] !== 'string') fail(`hops[${i}].${k} is missing`);
      if (!ids.has(h[k] as string)) fail(`hops[${i}].${k} "${String(h[k])}" is not a node`);
    }
    if (typeof h.budgetMs !== 'number' || !(h.budgetMs >= 0)) fail(`hops[${i}].budgetMs is missing (a number of ms)`);
    if (!isObject(h.carries) || Object.values(h.carries).some((v) => typeof v !== 'string'))
      fail(`hops[${i}].carries is missing (an object: effect field → cause field)`);
    if (hasCause.has(h.to as string)) fail(`hops[${i}].to "${String(h.to)}" already has a cause`);
    hasCause.add(h.to as string);
  });
  roots.forEach((r, i) => {
    if (!isObject(r)) return fail(`roots[${i}] is not an object`);
    if (typeof r.node !== 'string' || !ids.has(r.node)) fail(`roots[${i}].node "${String(r.node)}" is not a node`);
    if (hasCause.has(r.node as string)) fail(`roots[${i}].node "${String(r.node)}" is the effect of a hop, not a root`);
    if (!isObject(r.payload)) fail(`roots[${i}].payload is missing (an object)`);
    const type = ids.get(r.node as string)!.type;
    // Check the payload as it will be sent: placeholders filled with a UUID-shaped value.
    const sample = new Map([...placeholdersOf(r.payload)].map((p) => [p, '00000000-0000-4000-8000-000000000000']));
    const problems = validate(type, fillPlaceholders(r.payload, sample));
    if (problems.length) fail(`roots[${i}].payload does not fit ${type}: ${problems[0]!.message}`);
  });
  for (const n of ids.values()) {
    if (!hasCause.has(n.id) && !roots.some((r) => (r as { node: string }).node === n.id)) fail(`node "${n.id}" has no cause and is not a root`);
  }
  return raw as unknown as Flow;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
