import { ConnectedCommand } from '../cli/base.js';
import { runDoctor, type DoctorCheck } from '../core/doctor.js';
import { MisoError } from '../errors.js';

export default class Doctor extends ConnectedCommand {
  static override description = 'Check configuration, connectivity, credentials, namespace policies, topics and schemas; one line per check';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --profile secure', '<%= config.bin %> doctor --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const cfg = this.settingsFrom(flags);
    const c = this.out.color;
    const mark: Record<DoctorCheck['status'], string> = { ok: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖'), skip: c.dim('-') };
    let lastHint: string | undefined;
    const report = await runDoctor(cfg, {
      onCheck: (k) => {
        const detail = k.status === 'fail' ? c.red(k.detail) : k.status === 'skip' ? c.dim(`skipped: ${k.detail}`) : k.detail;
        this.out.line(`${mark[k.status]} ${k.name.padEnd(28)} ${detail}`);
        // The same advice under consecutive lines (eight schemas) is said once.
        if (k.hint && (k.status === 'fail' || k.status === 'warn') && k.hint !== lastHint) this.out.line(`  ${' '.repeat(28)} ${c.dim(`→ ${k.hint}`)}`);
        lastHint = k.hint;
      },
    });
    if (this.out.json) this.out.data(report);
    const { ok, warn, fail, skip } = report.counts;
    if (!report.ok) {
      throw new MisoError(`doctor found ${fail} problem(s) (${ok} ok, ${warn} warning(s), ${skip} skipped)`, { hint: 'Fix the ✖ lines from the top: later checks often fail because of an earlier one.' });
    }
    this.out.line(`${c.green('All good:')} ${ok} ok, ${warn} warning(s).`);
  }
}
