/** `miso dlq list | show | replay` as text. */
import type { ChalkInstance } from 'chalk';
import type { DeadLetter, ReplayResult } from '../../core/dlq.js';
import { jsonReplacer } from '../output.js';

/** Three lines per dead letter and a closing line; one line when there is none. */
export function deadLetterListLines(letters: readonly DeadLetter[], c: ChalkInstance, where: { tenant: string; namespace: string; since?: string | undefined }): string[] {
  if (letters.length === 0) return [`No dead letters in ${where.tenant}/${where.namespace}${where.since ? ` in the last ${where.since}` : ''}.`];
  const lines: string[] = [];
  for (const d of letters) {
    const type = d.envelope?.type ?? d.properties.type ?? 'undecodable';
    const corr = d.envelope?.correlation_id ?? d.properties.correlation_id;
    lines.push(`${c.bold(d.id)}  ${c.dim(new Date(d.deadLetteredAt).toISOString())}  ${d.service}  ${d.envelope ? type : c.red(type)}${corr ? c.dim(`  wf ${corr.slice(0, 8)}`) : ''}`);
    lines.push(`  ${c.dim('from')} ${d.originTopic ?? '?'} ${c.dim(d.originMessageId ?? '')}  ${c.dim('redeliveries')} ${d.redeliveryCount ?? '≥ max'}`);
    lines.push(`  ${c.dim('error')} ${d.lastError}`);
  }
  lines.push(c.dim(`${letters.length} dead letter(s). \`miso dlq show <id>\` for one, \`miso dlq replay <id>\` or \`--all\` to send back.`));
  return lines;
}

/** One dead letter: a table of where it came from and why, then the message decoded. `json` is `deadLetterJson(d)`. */
export function deadLetterLines(d: DeadLetter, json: Record<string, unknown>, c: ChalkInstance): string[] {
  const rows: [string, unknown][] = [
    ['id', d.id], ['service', d.service], ['dead-lettered', json.dead_lettered_at], ['origin topic', d.originTopic],
    ['origin message', d.originMessageId], ['redeliveries', d.redeliveryCount ?? '≥ max'], ['last error', d.lastError],
    ['type', json.type], ['correlation id', json.correlation_id], ['key', d.key],
  ];
  const lines = rows.map(([k, v]) => `${c.dim(k.padEnd(15))} ${String(v ?? '-')}`);
  if (d.envelope) lines.push(JSON.stringify(d.envelope, jsonReplacer, 2));
  else lines.push(`${c.red('undecodable')}: ${d.decodeError ?? 'unknown'}\n${c.dim('payload (base64)')} ${json.payload_base64 as string}`);
  return lines;
}

export function replayLines(results: readonly ReplayResult[], dryRun: boolean, c: ChalkInstance): string[] {
  const lines = results.map((r) => `${dryRun ? c.yellow('would replay') : c.green('✔ replayed')} ${r.id} ${r.type ?? 'undecodable'} → ${r.to}${r.messageId ? c.dim(` as ${r.messageId}`) : ''}${r.correlationId ? c.dim(`  (trace: miso trace ${r.correlationId})`) : ''}`);
  if (results.length === 0) lines.push('Nothing to replay.');
  else if (!dryRun) lines.push(c.dim(`${results.length} replayed; each service handles a command id once, so a replay of something already handled changes nothing.`));
  return lines;
}
