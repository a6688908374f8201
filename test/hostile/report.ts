import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the proving-ground tests leave their reports (JSON for tools, Markdown for people). */
export const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/', import.meta.url));

export function writeReport(name: string, data: unknown, markdown: string): { json: string; md: string } {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const json = join(OUTPUT_DIR, `${name}.json`);
  const md = join(OUTPUT_DIR, `${name}.md`);
  writeFileSync(json, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  writeFileSync(md, markdown.endsWith('\n') ? markdown : markdown + '\n');
  return { json, md };
}

/** A Markdown table from a header row and rows of cells. */
export function mdTable(header: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
