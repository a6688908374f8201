import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { initCluster } from '../core/init.js';
import { MisoError } from '../errors.js';
import { initChecklist, initItem, initSummary } from '../ui/render/admin.js';

export default class Init extends ConnectedCommand {
  static override description = 'Create the tenant, namespace, policies and topics miso needs (safe to run again)';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --tenant acme --namespace dev --retention-minutes 1440',
    '<%= config.bin %> init --json',
    '<%= config.bin %> init --namespace scaled --partitions 4',
  ];
  static override flags = {
    'retention-minutes': Flags.integer({ description: 'how long acknowledged messages are kept (-1 = forever); default from config', min: -1 }),
    partitions: Flags.integer({
      description: 'create the command and event topics partitioned into this many partitions (existing topics are reported, not changed)',
      min: 1,
    }),
    'retention-size-mb': Flags.integer({ description: 'how much acknowledged data is kept per topic (-1 = unlimited); default from config', min: -1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const base = this.settingsFrom(flags);
    const cfg = {
      ...base,
      retentionMinutes: flags['retention-minutes'] ?? base.retentionMinutes,
      retentionSizeMb: flags['retention-size-mb'] ?? base.retentionSizeMb,
    };
    const list = initChecklist(cfg, this.out.color);
    const report = await initCluster(cfg, {
      onStep: (s) => {
        for (const l of list.lines(initItem(s))) this.out.line(l);
      },
      ...(flags.partitions !== undefined ? { partitions: flags.partitions } : {}),
    });
    if (this.out.json) this.out.data(report);
    const { failed, skipped } = report.counts;
    if (!report.ok) {
      throw new MisoError(`init of ${cfg.tenant}/${cfg.namespace} incomplete: ${failed} step(s) failed, ${skipped} skipped`, {
        hint: 'Fix what the failed lines say (often the token or its permissions) and run `miso init` again; it only does what is missing.',
      });
    }
    this.out.line(initSummary(report, this.out.color));
  }
}
