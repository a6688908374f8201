import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { checkSchemas } from '../../core/schemas.js';
import { openAdmin } from '../../core/connect.js';
import { MisoError } from '../../errors.js';
import { renderCheck } from '../../ui/render/schemas.js';

export default class SchemasCheck extends ConnectedCommand {
  static override description = 'Compare the local envelope schemas with the versions registered on the broker (BACKWARD_TRANSITIVE)';
  static override examples = ['<%= config.bin %> schemas check', '<%= config.bin %> schemas check --dir ./schemas-next --json'];
  static override flags = {
    dir: Flags.string({ description: 'schemas directory to check instead of the built-in one (same layout as schemas/)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SchemasCheck);
    const cfg = this.settingsFrom(flags);
    const admin = openAdmin(cfg);
    const report = await checkSchemas(admin, cfg, flags.dir ? { dir: flags.dir } : {});
    this.out.result(report, () => { for (const l of renderCheck(report, this.out.color)) this.out.line(l); });
    if (!report.ok) {
      const bad = report.topics.filter((t) => t.status === 'incompatible').map((t) => t.topic);
      throw new MisoError(`${bad.length} topic schema${bad.length > 1 ? 's are' : ' is'} not compatible with what the broker has: ${bad.join(', ')}`, {
        hint: 'Add new fields with a default and new message types at the end of the union; never remove or retype a field.',
      });
    }
  }
}
