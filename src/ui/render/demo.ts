/** `miso demo` as text: what was started, the traces of its workflows, the totals and what to do next. */
import type { ChalkInstance } from 'chalk';
import type { DemoReport, DemoStep } from '../../core/demo/index.js';
import { renderTrace } from './trace.js';

export interface DemoRenderOptions {
  /** Totals only, no traces. */
  quiet?: boolean;
  /** Flags that point other commands at the same scope ("--tenant acme"), for the hints. */
  scopeFlags?: string;
}

const money = (minor: number): string => (minor / 100).toFixed(2);

export function demoLines(report: DemoReport, c: ChalkInstance, o: DemoRenderOptions = {}): string[] {
  const lines: string[] = [];
  if (report.brokerStarted) lines.push(`${c.green('✔')} started the local broker (stop it with \`miso broker down\`)`);
  if (report.reused) lines.push(`${c.green('✔')} using the services an earlier \`miso demo --keep\` left running`);
  lines.push(`${c.green('✔')} services: ${report.services.map((s) => `${s.service} ${c.dim(s.url)}`).join(', ')}`);
  if (!o.quiet) {
    lines.push('', c.bold(`Campaign ${report.campaignId}`), ...renderTrace(report.setup, c));
    for (const t of report.workflows) lines.push('', ...renderTrace(t, c));
  }
  const t = report.totals;
  lines.push(
    '',
    c.bold('This run'),
    `  tracking events  ${t.trackingEvents.view} views, ${t.trackingEvents.click} clicks, ${t.trackingEvents.conversion} conversions`,
    `  commissions      ${t.commissions}, ${money(t.commissionMinor)} USD`,
    `  payouts          ${t.payouts}, ${money(t.payoutMinor)} USD${t.rejected ? `  ${c.red(`${t.rejected} rejected`)}` : ''}${t.deadLettered ? `  ${c.magenta(`${t.deadLettered} dead-lettered`)}` : ''}`,
  );
  const b = report.books;
  if (b.commission && b.payment) {
    lines.push(c.bold("All demo runs (the services' own books)"));
    lines.push(
      `  campaigns ${b.campaign?.campaigns ?? '?'}, tracking events ${b.tracking?.tracking_events ?? '?'}, commissions ${b.commission.commissions} (${money(b.commission.commission_amount_minor ?? 0)} USD), payouts ${b.payment.paid} (${money(b.payment.paid_amount_minor ?? 0)} USD)`,
    );
  }
  lines.push('', `Watch it live: ${c.bold(`miso dashboard${o.scopeFlags ? ' ' + o.scopeFlags : ''}`)}   ·   one workflow: miso trace <correlation id>`);
  if (report.kept) {
    lines.push(
      `Services still running (logs under ${report.services[0]?.log.replace(/[^/]+$/, '')}); stop them with: kill ${report.services.map((s) => s.pid).join(' ')}`,
    );
  }
  return lines;
}

/** The progress line for one step of the demo. */
export function demoStepText(s: DemoStep): string {
  switch (s.step) {
    case 'broker':
      return 'no broker answers: starting the local one (miso broker up)';
    case 'init':
      return `init ${s.tenant}/${s.namespace}`;
    case 'services':
      return s.reused ? 'using the services an earlier `miso demo --keep` left running' : 'starting the four services (miso run …)';
    case 'campaign':
      return `campaign ${s.campaignId}: create, add two videos`;
    case 'tracking':
      return `tracking: ${s.views} views, ${s.clicks} clicks, ${s.conversions} conversions per video`;
    case 'waiting':
      return `waiting for ${s.workflows} workflows to reach payment`;
    case 'stopping':
      return 'stopping the services';
  }
}
