import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { DEFAULT_DB_PORT, status } from '../../services/store/local-postgres.js';
import { renderDbStatus } from '../../ui/render/db.js';

export default class DbStatus extends BaseCommand {
  static override description = 'Say whether the local PostgreSQL runs, its URL, data directory and log';
  static override flags = {
    port: Flags.integer({ description: 'TCP port on 127.0.0.1', default: DEFAULT_DB_PORT, min: 1, max: 65535 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbStatus);
    const s = await status({ port: flags.port });
    this.out.result(s, () => renderDbStatus(s, this.out.color).forEach((l) => this.out.line(l)));
  }
}
