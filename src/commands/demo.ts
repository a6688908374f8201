import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { DEFAULTS } from '../config/index.js';
import { brokerUp } from '../broker/commands.js';
import { DEFAULT_BROKER_OPTIONS } from '../broker/local.js';
import { runDemo } from '../core/demo/index.js';
import { brokerProgressText } from '../ui/render/broker.js';
import { demoLines, demoStepText } from '../ui/render/demo.js';
import { traceJson } from '../ui/render/trace.js';
import { Spinner } from '../ui/spinner.js';
import { MisoError, UsageError } from '../errors.js';

export default class Demo extends ConnectedCommand {
  static override description =
    'See the whole system work: broker (started if needed), init, the four services as separate processes, a scripted workflow, its traces and totals';
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
    if (rate !== undefined && !(rate >= 0 && rate <= 1))
      throw new UsageError(`--payout-failure-rate must be a number from 0 to 1, got "${flags['payout-failure-rate']}"`, {
        hint: 'For example --payout-failure-rate 0.3.',
      });
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
        onStep: (s) => spinner.update(demoStepText(s)),
        // Only for the default local URLs, when nothing answers there.
        startBroker: () =>
          brokerUp({
            servicePort: DEFAULT_BROKER_OPTIONS.servicePort,
            webPort: DEFAULT_BROKER_OPTIONS.webPort,
            heapMb: DEFAULT_BROKER_OPTIONS.heapMb,
            init: false,
            onProgress: (p) => spinner.update(brokerProgressText(p)),
          }),
      });
    } finally {
      spinner.stop();
    }
    const scopeFlags = [
      cfg.tenant !== DEFAULTS.tenant ? `--tenant ${cfg.tenant}` : '',
      cfg.namespace !== DEFAULTS.namespace ? `--namespace ${cfg.namespace}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    this.out.result({ ...report, setup: traceJson(report.setup), workflows: report.workflows.map(traceJson) }, () => {
      for (const l of demoLines(report, this.out.color, { quiet: flags.quiet, scopeFlags })) this.out.line(l);
    });
    if (!report.complete) {
      throw new MisoError('some workflows did not finish within the time allowed', {
        hint: 'Look at them with `miso trace <correlation id>` and at the service logs.',
      });
    }
  }
}
