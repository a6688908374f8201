/**
 * Writes the TypeScript payload types (`types.ts`) from the Avro files, so handlers and
 * commands are checked against the schemas. A unit test regenerates the text and fails when
 * `types.ts` differs (run it with MISO_UPDATE_TYPES=1 to rewrite the file).
 */
import { allSpecs } from './registry.js';
import { loadSchemaSources, fullNameOf, type AvroDefinition, type AvroSchema, type SchemaSources } from './schemas.js';

export function renderPayloadTypes(sources: SchemaSources = loadSchemaSources()): string {
  const out: string[] = [];
  out.push('// Generated from schemas/*.avsc by src/core/catalog/typegen.ts — do not edit by hand.');
  out.push('// test/unit/catalog/types.test.ts fails when this file is out of date; MISO_UPDATE_TYPES=1 rewrites it.');
  out.push('');
  const emitted = new Set<string>();
  const order = [...sources.named.keys()].sort();
  for (const name of order) emit(sources.named.get(name)!);

  function tsName(full: string): string {
    return full.slice(full.lastIndexOf('.') + 1);
  }

  function emit(def: AvroDefinition): void {
    const full = fullNameOf(def);
    if (emitted.has(full)) return;
    emitted.add(full);
    if (def.doc) out.push(`/** ${def.doc} */`);
    if (def.type === 'enum') {
      out.push(`export type ${tsName(full)} = ${def.symbols!.map((s) => `'${s}'`).join(' | ')};`);
      out.push(`export const ${upperSnake(tsName(full))}_SYMBOLS = [${def.symbols!.map((s) => `'${s}'`).join(', ')}] as const;`);
    } else if (def.type === 'record') {
      out.push(`export interface ${tsName(full)} {`);
      for (const f of def.fields ?? []) {
        if (f.doc) out.push(`  /** ${f.doc} */`);
        out.push(`  ${f.name}: ${tsType(f.type)};`);
      }
      out.push('}');
    }
    out.push('');
  }

  function tsType(s: AvroSchema): string {
    if (typeof s === 'string') {
      switch (s) {
        case 'null':
          return 'null';
        case 'boolean':
          return 'boolean';
        case 'int':
        case 'long':
        case 'float':
        case 'double':
          return 'number';
        case 'bytes':
          return 'Buffer';
        case 'string':
          return 'string';
        default:
          return tsName(s);
      }
    }
    if (Array.isArray(s)) return s.map(tsType).join(' | ');
    switch (s.type) {
      case 'array':
        return `${wrapArray(tsType(s.items!))}[]`;
      case 'map':
        return `Record<string, ${tsType(s.values!)}>`;
      case 'record':
      case 'enum':
        emit(s);
        return tsName(fullNameOf(s));
      default:
        return tsType(s.type);
    }
  }

  out.push('/** The payload record of each message type. */');
  out.push('export interface PayloadByType {');
  for (const spec of allSpecs()) out.push(`  '${spec.type}': ${tsName(spec.record)};`);
  out.push('}');
  out.push('');
  out.push('/** Payload fields that have a default in the schema: a sender may leave them out. */');
  out.push('export interface DefaultedFields {');
  for (const spec of allSpecs()) {
    const def = sources.messages.get(spec.type)!;
    const names = (def.fields ?? []).filter((f) => f.default !== undefined).map((f) => `'${f.name}'`);
    out.push(`  '${spec.type}': ${names.length ? names.join(' | ') : 'never'};`);
  }
  out.push('}');
  out.push('');
  return out.join('\n');
}

function wrapArray(t: string): string {
  return t.includes('|') ? `(${t})` : t;
}

function upperSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
