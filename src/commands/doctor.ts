import { ConnectedCommand } from '../cli/base.js';
import { runDoctor } from '../core/doctor.js';
import { MisoError } from '../errors.js';
import { doctorChecklist, doctorItem, doctorSummary } from '../ui/render/admin.js';

export default class Doctor extends ConnectedCommand {
  static override description = 'Check configuration, connectivity, credentials, namespace policies, topics and schemas; one line per check';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --profile secure', '<%= config.bin %> doctor --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const cfg = this.settingsFrom(flags);
    const list = doctorChecklist(this.out.color);
    const report = await runDoctor(cfg, {
      onCheck: (k) => {
        for (const l of list.lines(doctorItem(k))) this.out.line(l);
      },
    });
    if (this.out.json) this.out.data(report);
    const { ok, warn, fail, skip } = report.counts;
    if (!report.ok) {
      throw new MisoError(`doctor found ${fail} problem(s) (${ok} ok, ${warn} warning(s), ${skip} skipped)`, {
        hint: 'Fix the ✖ lines from the top: later checks often fail because of an earlier one.',
      });
    }
    this.out.line(doctorSummary(report, this.out.color));
  }
}
