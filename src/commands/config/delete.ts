import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { ProfileStore } from '../../config/index.js';

export default class ConfigDelete extends BaseCommand {
  static override description = 'Delete a profile';
  static override args = { name: Args.string({ required: true, description: 'profile name' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigDelete);
    new ProfileStore().delete(args.name);
    this.out.result({ deleted: args.name }, () => this.out.line(`✔ deleted profile ${args.name}`));
  }
}
