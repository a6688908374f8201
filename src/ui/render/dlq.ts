/** `miso dlq list | show | replay` as text. */
import type { ChalkInstance } from 'chalk';
import type { DeadLetter, DeadLetterGroup, FollowedReplay, ReplayResult, ReplaySelection } from '../../core/dlq.js';
import { jsonReplacer } from '../output.js';

/** Three lines per dead letter and a closing line; one line when there is none. */
export function deadLetterListLines(
  letters: readonly DeadLetter[],
  c: ChalkInstance,
  where: { tenant: string; namespace: string; since?: string | undefined },
): string[] {
  if (letters.length === 0) return [`No dead letters in ${where.tenant}/${where.namespace}${where.since ? ` in the last ${where.since}` : ''}.`];
  const lines: string[] = [];
  for (const d of letters) {
    const type = d.envelope?.type ?? d.properties.type ?? 'undecodable';
    const corr = d.envelope?.correlation_id ?? d.properties.correlation_id;
    lines.push(
      `${c.bold(d.id)}  ${c.dim(new Date(d.deadLetteredAt).toISOString())}  ${d.service}  ${d.envelope ? type : c.red(type)}${corr ? c.dim(`  wf ${corr.slice(0, 8)}`) : ''}`,
    );
    lines.push(`  ${c.dim('from')} ${d.originTopic ?? '?'} ${c.dim(d.originMessageId ?? '')}  ${c.dim('redeliveries')} ${d.redeliveryCount ?? '≥ max'}`);
    lines.push(`  ${c.dim('error')} ${d.lastError}`);
    if (d.replayed.length)
      lines.push(
        `  ${c.yellow('replayed')} ${d.replayed.length}× ${c.dim(`last ${new Date(d.replayed.at(-1)!.at).toISOString()} as ${d.replayed.at(-1)!.messageId}`)}`,
      );
  }
  lines.push(c.dim(`${letters.length} dead letter(s). \`miso dlq show <id>\` for one, \`miso dlq replay <id>\` or \`--all\` to send back.`));
  return lines;
}

/** One dead letter: a table of where it came from and why, then the message decoded. `json` is `deadLetterJson(d)`. */
export function deadLetterLines(d: DeadLetter, json: Record<string, unknown>, c: ChalkInstance): string[] {
  const rows: [string, unknown][] = [
    ['id', d.id],
    ['service', d.service],
    ['dead-lettered', json.dead_lettered_at],
    ['origin topic', d.originTopic],
    ['origin message', d.originMessageId],
    ['redeliveries', d.redeliveryCount ?? '≥ max'],
    ['last error', d.lastError],
    ['type', json.type],
    ['correlation id', json.correlation_id],
    ['key', d.key],
    ['replayed', d.replayed.length ? d.replayed.map((r) => `${new Date(r.at).toISOString()} as ${r.messageId}`).join(', ') : 'never'],
  ];
  const lines = rows.map(([k, v]) => `${c.dim(k.padEnd(15))} ${String(v ?? '-')}`);
  if (d.envelope) lines.push(JSON.stringify(d.envelope, jsonReplacer, 2));
  else lines.push(`${c.red('undecodable')}: ${d.decodeError ?? 'unknown'}\n${c.dim('payload (base64)')} ${json.payload_base64 as string}`);
  return lines;
}

export function replayLines(results: readonly ReplayResult[], dryRun: boolean, c: ChalkInstance): string[] {
  const lines = results.map(
    (r) =>
      `${dryRun ? c.yellow('would replay') : c.green('✔ replayed')} ${r.id} ${r.type ?? 'undecodable'} → ${r.to}${r.messageId ? c.dim(` as ${r.messageId}`) : ''}${r.correlationId ? c.dim(`  (trace: miso trace ${r.correlationId})`) : ''}`,
  );
  if (results.length === 0) lines.push('Nothing to replay.');
  else if (!dryRun)
    lines.push(c.dim(`${results.length} replayed; each service handles a command id once, so a replay of something already handled changes nothing.`));
  return lines;
}

/** `miso dlq groups`: one block per group, largest first. */
export function groupLines(
  groups: readonly DeadLetterGroup<DeadLetter>[],
  c: ChalkInstance,
  where: { tenant: string; namespace: string; since?: string | undefined },
): string[] {
  if (groups.length === 0) return [`No dead letters in ${where.tenant}/${where.namespace}${where.since ? ` in the last ${where.since}` : ''}.`];
  const lines: string[] = [];
  for (const g of groups) {
    const replayed = g.replayed ? c.yellow(`  ${g.replayed} replayed`) : '';
    lines.push(`${c.bold(g.id)}  ${String(g.count).padStart(4)} × ${g.service}  ${g.type}  ${c.dim(`schema v${g.schemaVersion}`)}${replayed}`);
    lines.push(`  ${c.dim('error')}    ${g.error}`);
    lines.push(`  ${c.dim('seen')}     ${new Date(g.firstSeen).toISOString()} … ${new Date(g.lastSeen).toISOString()}`);
    lines.push(`  ${c.dim('example')}  ${g.example.id}  ${c.dim(g.example.lastError)}`);
  }
  const total = groups.reduce((n, g) => n + g.count, 0);
  lines.push(c.dim(`${total} dead letter(s) in ${groups.length} group(s). \`miso dlq replay --group <id> --dry-run\` to see what a replay would send.`));
  return lines;
}

export function groupJson(g: DeadLetterGroup<DeadLetter>): Record<string, unknown> {
  return {
    id: g.id,
    service: g.service,
    type: g.type,
    schema_version: g.schemaVersion,
    error: g.error,
    count: g.count,
    replayed: g.replayed,
    first_seen: new Date(g.firstSeen).toISOString(),
    last_seen: new Date(g.lastSeen).toISOString(),
    example: { id: g.example.id, last_error: g.example.lastError, correlation_id: g.example.envelope?.correlation_id ?? null },
    dead_letters: g.letters.map((d) => d.id),
  };
}

/** The line before a replay: what the frozen snapshot holds. */
export function snapshotLine(sel: ReplaySelection, c: ChalkInstance): string {
  const what = sel.group
    ? `group ${sel.group.id} (${sel.group.service} ${sel.group.type})`
    : `${sel.chosen.length + sel.alreadyReplayed.length} dead letter(s)`;
  const skipped = sel.alreadyReplayed.length ? `; ${sel.alreadyReplayed.length} replayed before left out (--again to include)` : '';
  return c.dim(`snapshot ${new Date(sel.snapshotAt).toISOString()}: ${what}, ${sel.chosen.length} to replay${skipped}`);
}

/** One line, rewritten in place on a terminal. */
export function replayProgress(p: { sent: number; total: number; elapsedMs: number }): string {
  const width = 24;
  const done = p.total ? Math.round((p.sent / p.total) * width) : width;
  // The first send goes at once: the rate is the gaps after it.
  const rate = p.elapsedMs > 0 && p.sent > 1 ? ((p.sent - 1) * 1000) / p.elapsedMs : 0;
  return `\rreplaying [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.sent}/${p.total}  ${rate.toFixed(1)}/s`;
}

const OUTCOME_LABEL: Record<FollowedReplay['outcome'], string> = {
  handled: 'handled',
  rejected: 'rejected again',
  'dead-lettered': 'dead-lettered again',
  pending: 'still pending',
};

/** The outcome table of `replay --wait`: counts, then the ones that did not get handled. */
export function outcomeLines(outcomes: readonly FollowedReplay[], c: ChalkInstance): string[] {
  const lines: string[] = [];
  const order: FollowedReplay['outcome'][] = ['handled', 'rejected', 'dead-lettered', 'pending'];
  const paint = (o: FollowedReplay['outcome'], t: string): string => (o === 'handled' ? c.green(t) : o === 'pending' ? c.yellow(t) : c.red(t));
  lines.push(c.bold('outcome              count'));
  for (const o of order) {
    const n = outcomes.filter((f) => f.outcome === o).length;
    lines.push(`${paint(o, OUTCOME_LABEL[o].padEnd(20))} ${String(n).padStart(5)}`);
  }
  for (const f of outcomes) {
    if (f.outcome === 'handled') continue;
    lines.push(`  ${paint(f.outcome, OUTCOME_LABEL[f.outcome])}  ${f.commandId}${f.reason ? `  ${c.dim(f.reason)}` : ''}`);
  }
  return lines;
}
