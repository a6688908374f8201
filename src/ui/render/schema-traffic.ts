/** `miso schemas check --against-traffic` as text: per topic, each writer version seen and whether the candidate reads it. */
import type { ChalkInstance } from 'chalk';
import type { TrafficReport } from '../../core/schema-traffic.js';

export function trafficLines(report: TrafficReport, c: ChalkInstance, dir: string | undefined): string[] {
  const lines: string[] = [
    c.dim(`candidate schemas: ${dir ?? 'the built-in schemas/'} · messages ${report.since ? `since ${new Date(report.since).toISOString()}` : 'all stored'}`),
  ];
  for (const t of report.topics) {
    const mark = t.messages === 0 ? c.dim('·') : t.failed ? c.red('✖') : c.green('✔');
    const summary = t.messages === 0 ? c.dim('no stored messages') : t.failed ? c.red(`${t.failed} of ${t.messages} would break`) : `${t.messages} decode`;
    lines.push(`${mark} ${t.topic.padEnd(20)} ${summary}`);
    for (const v of t.versions) {
      const where = v.source === 'dead-letter' ? 'dead letters, ' : '';
      const verdict = v.failed ? c.red(`${v.failed} fail`) : c.green('all decode');
      lines.push(`    ${where}writer v${v.version}: ${v.messages} message(s) from ${producers(v.producers)} — ${verdict}`);
      const f = v.firstFailure;
      if (f) lines.push(`      ${c.red('first failure')} ${f.field ? c.bold(f.field) + ' ' : ''}${f.reason} ${c.dim(`(e.g. message ${f.messageId})`)}`);
    }
  }
  const failed = report.topics.reduce((n, t) => n + t.failed, 0);
  lines.push(
    failed
      ? c.red(`${failed} of ${report.messages} stored message(s) would not read as written with the candidate schemas.`)
      : c.green(`All ${report.messages} stored message(s) read as written with the candidate schemas.`),
  );
  return lines;
}

function producers(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more producer(s)`;
}
