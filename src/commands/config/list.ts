import { BaseCommand } from '../../cli/base.js';
import { ProfileStore } from '../../config/index.js';
import { showable } from '../../config/edit.js';
import { profileListLines } from '../../ui/render/config.js';

export default class ConfigList extends BaseCommand {
  static override description = 'List profiles (tokens masked); * marks the default';

  async run(): Promise<void> {
    await this.parse(ConfigList);
    const store = new ProfileStore();
    const current = store.current();
    const profiles = store.names().map((name) => ({ name, current: name === current, settings: showable(store.get(name)!) }));
    this.out.result({ file: store.path, current: current ?? null, profiles }, () => {
      for (const l of profileListLines(profiles)) this.out.line(l);
    });
  }
}
