import { BaseCommand } from '../../cli/base.js';
import { ProfileStore } from '../../config/index.js';
import { showable } from '../../config/edit.js';

export default class ConfigList extends BaseCommand {
  static override description = 'List profiles (tokens masked); * marks the default';

  async run(): Promise<void> {
    await this.parse(ConfigList);
    const store = new ProfileStore();
    const current = store.current();
    const profiles = store.names().map((name) => ({ name, current: name === current, settings: showable(store.get(name)!) }));
    this.out.result({ file: store.path, current: current ?? null, profiles }, () => {
      if (!profiles.length) {
        this.out.line('No profiles yet. `miso broker up` creates "local"; `miso config set serviceUrl <url> --profile <name>` creates any other.');
        return;
      }
      for (const p of profiles) {
        this.out.line(`${p.current ? '*' : ' '} ${p.name}`);
        for (const [k, v] of Object.entries(p.settings)) this.out.line(`    ${k} = ${String(v)}`);
      }
    });
  }
}
