import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { ProfileStore } from '../../config/index.js';
import { parseSetting, profileKey } from '../../config/edit.js';
import { UsageError } from '../../errors.js';

export default class ConfigSet extends BaseCommand {
  static override description = 'Set a setting in a profile (the --profile one, else the default profile); creates the profile if needed';
  static override examples = [
    '<%= config.bin %> config set serviceUrl pulsar+ssl://broker.example.com:6651 --profile staging',
    '<%= config.bin %> config set tokenFile ~/.pulsar/token --profile staging',
  ];
  static override args = {
    key: Args.string({
      required: true,
      description:
        'serviceUrl, adminUrl, token, tokenFile, tenant, namespace, tlsTrustCertsFile, tlsAllowInsecure, retentionMinutes, retentionSizeMb, databaseUrl',
    }),
    value: Args.string({ required: true, description: 'the value ("" to remove the setting)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigSet);
    const store = new ProfileStore();
    const name = flags.profile ?? store.current();
    if (!name) throw new UsageError('no profile to change', { hint: 'Name one with --profile <name> (it is created if new).' });
    const key = profileKey(args.key);
    if (args.value === '') store.unset(name, key);
    else store.put(name, { [key]: parseSetting(key, args.value) }, { merge: true });
    if (!store.current()) store.use(name);
    this.out.result({ profile: name, key, removed: args.value === '' }, () => this.out.line(`✔ ${name}: ${key} ${args.value === '' ? 'removed' : 'set'}`));
  }
}
