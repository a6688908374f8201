/**
 * Avro schema resolution, explained: can a reader schema read data written with a writer
 * schema, and if not, which field is to blame and why. The broker enforces
 * BACKWARD_TRANSITIVE (the newest schema must read messages written with every earlier
 * version); avsc's `createResolver` gives the yes/no, this walk gives the reasons a person
 * can act on ("field payload[CreateCampaign].owner was added without a default").
 */
import avsc from 'avsc';
import type { AvroDefinition, AvroSchema } from './schemas.js';

export interface Incompatibility {
  /** Where: `payload[CreateCampaign].name`, `payload` (a union), `` (the record itself). */
  path: string;
  reason: string;
}

const PROMOTIONS: Record<string, string[]> = {
  int: ['int', 'long', 'float', 'double'],
  long: ['long', 'float', 'double'],
  float: ['float', 'double'],
  double: ['double'],
  string: ['string', 'bytes'],
  bytes: ['bytes', 'string'],
  boolean: ['boolean'],
  null: ['null'],
};

type Named = Map<string, AvroDefinition>;

function fullName(def: AvroDefinition, ns: string | undefined): string {
  if (def.name!.includes('.')) return def.name!;
  const n = def.namespace ?? ns;
  return n ? `${n}.${def.name}` : def.name!;
}

function collect(s: AvroSchema, named: Named, ns?: string): void {
  if (typeof s === 'string') return;
  if (Array.isArray(s)) {
    s.forEach((b) => collect(b, named, ns));
    return;
  }
  let inner = ns;
  if ((s.type === 'record' || s.type === 'enum' || s.type === 'fixed' || s.type === 'error') && s.name) {
    const full = fullName(s, ns);
    named.set(full, s);
    named.set(s.name.includes('.') ? s.name.slice(s.name.lastIndexOf('.') + 1) : s.name, s);
    inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
  }
  for (const f of s.fields ?? []) collect(f.type, named, inner);
  if (s.items !== undefined) collect(s.items, named, inner);
  if (s.values !== undefined) collect(s.values, named, inner);
}

function deref(s: AvroSchema, named: Named): AvroSchema {
  if (typeof s === 'string' && !(s in PROMOTIONS)) return named.get(s) ?? s;
  if (typeof s === 'object' && !Array.isArray(s) && typeof s.type === 'string' && s.type in PROMOTIONS && !s.name) return s.type;
  return s;
}

function kindOf(s: AvroSchema): string {
  if (typeof s === 'string') return s;
  if (Array.isArray(s)) return 'union';
  return s.type;
}

function label(s: AvroSchema): string {
  if (typeof s === 'string') return s.slice(s.lastIndexOf('.') + 1);
  if (Array.isArray(s)) return `[${s.map(label).join(', ')}]`;
  if (s.name) return `${s.type} ${s.name.slice(s.name.lastIndexOf('.') + 1)}`;
  if (s.type === 'array') return `array of ${label(s.items!)}`;
  if (s.type === 'map') return `map of ${label(s.values!)}`;
  return s.type;
}

function shortName(s: AvroSchema): string {
  return typeof s === 'object' && !Array.isArray(s) && s.name ? s.name.slice(s.name.lastIndexOf('.') + 1) : label(s);
}

/** Whether `reader` can read what `writer` wrote, with the reasons when it cannot. */
export function explainIncompatibility(reader: AvroSchema, writer: AvroSchema): Incompatibility[] {
  const rNamed: Named = new Map();
  const wNamed: Named = new Map();
  collect(reader, rNamed);
  collect(writer, wNamed);
  const out: Incompatibility[] = [];
  const seen = new Set<string>();

  const names = (d: AvroDefinition): string[] => [d.name!, ...((d.aliases as string[] | undefined) ?? [])].map((n) => n.slice(n.lastIndexOf('.') + 1));
  const sameName = (r: AvroDefinition, w: AvroDefinition): boolean => names(r).includes(w.name!.slice(w.name!.lastIndexOf('.') + 1));

  /** Could `r` read `w` at all (used to pick a union branch)? */
  const matches = (rIn: AvroSchema, wIn: AvroSchema): boolean => {
    const r = deref(rIn, rNamed);
    const w = deref(wIn, wNamed);
    const rk = kindOf(r);
    const wk = kindOf(w);
    if (wk in PROMOTIONS) return (PROMOTIONS[wk] ?? []).includes(rk);
    if (rk !== wk) return false;
    if (rk === 'record' || rk === 'enum' || rk === 'fixed') return sameName(r as AvroDefinition, w as AvroDefinition);
    return true;
  };

  const walk = (rIn: AvroSchema, wIn: AvroSchema, path: string): void => {
    const r = deref(rIn, rNamed);
    const w = deref(wIn, wNamed);
    const rk = kindOf(r);
    const wk = kindOf(w);
    if (wk === 'union') {
      for (const wb of w as AvroSchema[]) {
        if (rk === 'union') {
          const rb = (r as AvroSchema[]).find((b) => matches(b, wb));
          if (!rb)
            out.push({
              path,
              reason: `${label(deref(wb, wNamed)).replace(/^record /, '')} was removed from the union; messages written with it can no longer be read`,
            });
          else walk(rb, wb, branchPath(path, rb));
        } else if (!matches(r, wb)) {
          out.push({ path, reason: `changed from a union ${label(w)} to ${label(r)}; the ${label(deref(wb, wNamed))} values already written cannot be read` });
        } else walk(r, wb, path);
      }
      return;
    }
    if (rk === 'union') {
      const rb = (r as AvroSchema[]).find((b) => matches(b, w));
      if (!rb) out.push({ path, reason: `changed type from ${label(w)} to ${label(r)}` });
      else walk(rb, w, path);
      return;
    }
    if (wk in PROMOTIONS) {
      if (!(PROMOTIONS[wk] ?? []).includes(rk)) out.push({ path, reason: `changed type from ${wk} to ${label(r)}` });
      return;
    }
    if (rk !== wk) {
      out.push({ path, reason: `changed type from ${label(w)} to ${label(r)}` });
      return;
    }
    const rd = r as AvroDefinition;
    const wd = w as AvroDefinition;
    switch (rk) {
      case 'record':
      case 'error': {
        if (!sameName(rd, wd)) {
          out.push({ path, reason: `record ${wd.name} was renamed to ${rd.name} (add the old name as an alias)` });
          return;
        }
        const key = `${path}|${rd.name}|${wd.name}`;
        if (seen.has(key)) return;
        seen.add(key);
        for (const rf of rd.fields ?? []) {
          const fnames = [rf.name, ...((rf.aliases as string[] | undefined) ?? [])];
          const wf = (wd.fields ?? []).find((f) => fnames.includes(f.name));
          const fp = path === '' ? rf.name : `${path}.${rf.name}`;
          if (!wf) {
            if (rf.default === undefined)
              out.push({
                path: fp,
                reason: 'was added without a default; messages written before it cannot be read (give it a default, e.g. null with type ["null", …])',
              });
            continue;
          }
          walk(rf.type, wf.type, fp);
        }
        return;
      }
      case 'enum': {
        if (!sameName(rd, wd)) {
          out.push({ path, reason: `enum ${wd.name} was renamed to ${rd.name}` });
          return;
        }
        const missing = (wd.symbols ?? []).filter((s) => !(rd.symbols ?? []).includes(s));
        if (missing.length && rd.default === undefined)
          out.push({ path, reason: `enum ${shortName(rd)} lost symbol${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that old messages may carry` });
        return;
      }
      case 'fixed':
        if (rd.size !== wd.size) out.push({ path, reason: `fixed size changed from ${String(wd.size)} to ${String(rd.size)}` });
        return;
      case 'array':
        walk(rd.items!, wd.items!, `${path}[]`);
        return;
      case 'map':
        walk(rd.values!, wd.values!, `${path}{}`);
        return;
      default:
    }
  };
  walk(reader, writer, '');
  return out;
}

function branchPath(path: string, branch: AvroSchema): string {
  if (typeof branch === 'object' && !Array.isArray(branch) && branch.name) return `${path}[${shortName(branch)}]`;
  if (typeof branch === 'string' && branch.includes('.')) return `${path}[${branch.slice(branch.lastIndexOf('.') + 1)}]`;
  return path;
}

/**
 * Can `reader` read `writer`? avsc decides (its resolver follows the Avro spec); when it
 * says no, the walk above names the fields. Both are JSON schema texts or parsed JSON.
 */
export function compatibility(reader: AvroSchema, writer: AvroSchema): { compatible: boolean; problems: Incompatibility[] } {
  let compatible = true;
  let avscReason = '';
  try {
    avsc.Type.forSchema(reader as avsc.Schema).createResolver(avsc.Type.forSchema(writer as avsc.Schema));
  } catch (err) {
    compatible = false;
    avscReason = (err as Error).message;
  }
  if (compatible) return { compatible, problems: [] };
  const problems = explainIncompatibility(reader, writer);
  return { compatible, problems: problems.length ? problems : [{ path: '', reason: avscReason }] };
}
