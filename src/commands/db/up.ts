import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { dbUp, DEFAULT_DB_PORT } from '../../services/store/local-postgres.js';
import { renderDbStatus } from '../../ui/render/db.js';

export default class DbUp extends BaseCommand {
  static override description =
    'Start a local PostgreSQL for the services (loopback only, data under the state directory); several instances of a service can then share it';
  static override examples = ['<%= config.bin %> db up', '<%= config.bin %> db up --port 55433'];
  static override flags = {
    port: Flags.integer({ description: 'TCP port on 127.0.0.1', default: DEFAULT_DB_PORT, min: 1, max: 65535 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbUp);
    const s = await dbUp({ port: flags.port });
    this.out.result(s, () => renderDbStatus(s, this.out.color).forEach((l) => this.out.line(l)));
  }
}
