import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { ProfileStore } from '../../config/index.js';

export default class ConfigUse extends BaseCommand {
  static override description = 'Make a profile the default for every command';
  static override args = { name: Args.string({ required: true, description: 'profile name' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigUse);
    new ProfileStore().use(args.name);
    this.out.result({ current: args.name }, () => this.out.line(`✔ default profile is now ${args.name}`));
  }
}
