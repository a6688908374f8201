import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { pushSchemas } from '../../core/schemas.js';
import { openAdmin } from '../../core/connect.js';
import { renderPush } from '../../ui/render/schemas.js';

export default class SchemasPush extends ConnectedCommand {
  static override description = 'Register the local envelope schemas on the broker; an incompatible change is refused and nothing is registered';
  static override examples = ['<%= config.bin %> schemas push', '<%= config.bin %> schemas push --dir ./schemas-next'];
  static override flags = {
    dir: Flags.string({ description: 'schemas directory to push instead of the built-in one (same layout as schemas/)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SchemasPush);
    const cfg = this.settingsFrom(flags);
    const admin = openAdmin(cfg);
    const { pushed } = await pushSchemas(admin, cfg, flags.dir ? { dir: flags.dir } : {});
    this.out.result({ pushed }, () => { for (const l of renderPush(pushed, this.out.color)) this.out.line(l); });
  }
}
