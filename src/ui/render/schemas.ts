/** Text rendering for `miso schemas list | show | check | push`. */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { MessageTypeInfo, SchemaCheckReport, TopicSchemaPush } from '../../core/schemas.js';

function table(head: string[], color: ChalkInstance): Table.Table {
  return new Table({
    head: head.map((h) => color.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}

export function renderTypeList(types: MessageTypeInfo[], color: ChalkInstance): string {
  const t = table(['type', 'kind', 'topic', 'key', 'summary'], color);
  for (const m of types) t.push([m.short, m.kind, m.topics.length > 1 ? 'each *-events' : m.topics[0]!, m.key, m.summary]);
  return t.toString();
}

export function renderTypeDetail(m: MessageTypeInfo, color: ChalkInstance): string {
  const lines = [
    `${color.bold(m.type)}  (${m.short}) — ${m.summary}`,
    `kind ${m.kind} · topic ${m.topics.join(', ')} · owner ${m.owner} · key ${m.key} · Avro record ${m.record}`,
    '',
  ];
  const t = table(['flag', 'type', 'required', 'description'], color);
  for (const f of m.fields) {
    t.push([f.flag, f.type, f.required ? 'yes' : f.default !== undefined ? `default ${JSON.stringify(f.default)}` : 'generated', f.doc]);
  }
  lines.push(t.toString());
  if (m.kind === 'command') {
    const example = m.fields
      .filter((f) => f.required)
      .map((f) => `${f.flag} <${f.name}>`)
      .join(' ');
    lines.push('', `Send one: miso send ${m.short} ${example}`);
  }
  return lines.join('\n');
}

export function renderCheck(report: SchemaCheckReport, color: ChalkInstance): string[] {
  const mark = { 'up-to-date': color.green('✔'), compatible: color.yellow('↑'), incompatible: color.red('✖'), 'not-registered': color.yellow('+') } as const;
  const lines: string[] = [];
  for (const t of report.topics) {
    const versions = t.versions.length ? `registered v${t.versions.join(', v')}` : 'nothing registered';
    const what = {
      'up-to-date': `up to date (v${t.matchingVersion})`,
      compatible: 'local schema is a compatible change (push registers it)',
      incompatible: 'local schema is NOT compatible',
      'not-registered': 'not registered yet (push registers it)',
    }[t.status];
    lines.push(`${mark[t.status]} ${t.topic.padEnd(20)} ${what} ${color.dim(`· ${versions}`)}`);
    for (const p of t.problems) lines.push(`    ${color.red('✖')} v${p.version}: ${p.path ? color.bold(p.path) + ' ' : ''}${p.reason}`);
    if (t.broker && !t.broker.compatible)
      lines.push(`    ${color.red('broker:')} ${t.broker.reason ?? `refuses it under ${t.broker.strategy ?? 'its compatibility strategy'}`}`);
  }
  return lines;
}

export function renderPush(pushed: TopicSchemaPush[], color: ChalkInstance): string[] {
  return pushed.map((p) =>
    p.action === 'registered'
      ? `${color.green('✔')} ${p.topic.padEnd(20)} registered as version ${p.version}`
      : `${color.dim('·')} ${p.topic.padEnd(20)} unchanged (version ${p.version})`,
  );
}
