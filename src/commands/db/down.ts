import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { dbDown, DEFAULT_DB_PORT } from '../../services/store/local-postgres.js';
import { renderDbStatus } from '../../ui/render/db.js';

export default class DbDown extends BaseCommand {
  static override description = 'Stop the local PostgreSQL started by `miso db up` (its data stays)';
  static override flags = {
    port: Flags.integer({ description: 'TCP port on 127.0.0.1', default: DEFAULT_DB_PORT, min: 1, max: 65535 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbDown);
    const s = await dbDown({ port: flags.port });
    this.out.result(s, () => renderDbStatus(s, this.out.color).forEach((l) => this.out.line(l)));
  }
}
