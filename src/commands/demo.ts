import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { DEFAULTS } from '../config/index.js';
import { runDemo } from '../services/demo.js';
import { renderTrace, traceJson } from '../ui/render/trace.js';
import { Spinner } from '../ui/spinner.js';
import { MisoError, UsageError } from '../errors.js';

export default class Demo extends ConnectedCommand {
  static override description = 'See the whole system work: broker (started if needed), init, the four services as separate processes, a scripted workflow, its traces and totals';
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --keep', '<%= config.bin %> demo --payout-failure-rate 0.3 --conversions 3'];
  static override flags = {
    keep: Flags.boolean({ description: 'leave the services running afterwards (stop them with the kill command printed)' }),
    views: Flags.integer({ description: 'views per video', default: 3, min: 0, max: 100 }),
    clicks: Flags.integer({ description: 'clicks per video', default: 2, min: 0, max: 100 }),
    conversions: Flags.integer({ description: 'conversions per video', default: 1, min: 0, max: 100 }),
    'payout-failure-rate': Flags.string({ description: 'share of payout attempts that fail transiently (0..1): shows retries' }),
    'data-dir': Flags.string({ description: 'where the demo services keep databases and logs (default <state dir>/demo)' }),
    quiet: Flags.boolean({ description: 'totals only, no traces' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    const cfg = this.settingsFrom(flags);
    const rate = flags['payout-failure-rate'] === undefined ? undefined : Number(flags['payout-failure-rate']);
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new UsageError(`--payout-failure-rate must be a number from 0 to 1, got "${flags['payout-failure-rate']}"`, { hint: 'For example --payout-failure-rate 0.3.' });
    const spinner = new Spinner().start('Starting the demo…');
    let report;
    try {
      report = await runDemo({
        cfg,
        keep: flags.keep,
        views: flags.views,
        clicks: flags.clicks,
        conversions: flags.conversions,
        ...(rate !== undefined ? { payoutFailureRate: rate } : {}),
        ...(flags['data-dir'] ? { dataDir: flags['data-dir'] } : {}),
        onStep: (t) => spinner.update(t),
      });
    } finally {
      spinner.stop();
    }
    const c = this.out.color;
    const money = (minor: number) => (minor / 100).toFixed(2);
    const scopeFlags = [cfg.tenant !== DEFAULTS.tenant ? `--tenant ${cfg.tenant}` : '', cfg.namespace !== DEFAULTS.namespace ? `--namespace ${cfg.namespace}` : ''].filter(Boolean).join(' ');
    this.out.result({
      ...report,
      setup: traceJson(report.setup),
      workflows: report.workflows.map(traceJson),
    }, () => {
      if (report.brokerStarted) this.out.line(`${c.green('✔')} started the local broker (stop it with \`miso broker down\`)`);
      if (report.reused) this.out.line(`${c.green('✔')} using the services an earlier \`miso demo --keep\` left running`);
      this.out.line(`${c.green('✔')} services: ${report.services.map((s) => `${s.service} ${c.dim(s.url)}`).join(', ')}`);
      if (!flags.quiet) {
        this.out.line();
        this.out.line(c.bold(`Campaign ${report.campaignId}`));
        for (const l of renderTrace(report.setup, c)) this.out.line(l);
        for (const t of report.workflows) {
          this.out.line();
          for (const l of renderTrace(t, c)) this.out.line(l);
        }
      }
      const t = report.totals;
      this.out.line();
      this.out.line(c.bold('This run'));
      this.out.line(`  tracking events  ${t.trackingEvents.view} views, ${t.trackingEvents.click} clicks, ${t.trackingEvents.conversion} conversions`);
      this.out.line(`  commissions      ${t.commissions}, ${money(t.commissionMinor)} USD`);
      this.out.line(`  payouts          ${t.payouts}, ${money(t.payoutMinor)} USD${t.rejected ? `  ${c.red(`${t.rejected} rejected`)}` : ''}${t.deadLettered ? `  ${c.magenta(`${t.deadLettered} dead-lettered`)}` : ''}`);
      const b = report.books;
      if (b.commission && b.payment) {
        this.out.line(c.bold('All demo runs (the services\' own books)'));
        this.out.line(`  campaigns ${b.campaign?.campaigns ?? '?'}, tracking events ${b.tracking?.tracking_events ?? '?'}, commissions ${b.commission.commissions} (${money(b.commission.commission_amount_minor ?? 0)} USD), payouts ${b.payment.paid} (${money(b.payment.paid_amount_minor ?? 0)} USD)`);
      }
      this.out.line();
      this.out.line(`Watch it live: ${c.bold(`miso dashboard${scopeFlags ? ' ' + scopeFlags : ''}`)}   ·   one workflow: miso trace <correlation id>`);
      if (report.kept) {
        this.out.line(`Services still running (logs under ${report.services[0]?.log.replace(/[^/]+$/, '')}); stop them with: kill ${report.services.map((s) => s.pid).join(' ')}`);
      }
    });
    if (!report.complete) {
      throw new MisoError('some workflows did not finish within the time allowed', { hint: 'Look at them with `miso trace <correlation id>` and at the service logs.' });
    }
  }
}
