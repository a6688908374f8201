import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { unload } from '../../broker/drills.js';
import { unloadLine } from '../../ui/render/broker.js';

export default class BrokerUnload extends ConnectedCommand {
  static override description = 'Drill: unload a topic or a namespace so its ownership moves (clients must follow by themselves)';
  static override examples = [
    '<%= config.bin %> broker unload                  # the configured namespace',
    '<%= config.bin %> broker unload campaign-events',
    '<%= config.bin %> broker unload my-tenant/my-ns',
    '<%= config.bin %> broker unload campaign-events --to broker-2',
  ];
  static override args = { target: Args.string({ description: 'topic (short or full name) or tenant/namespace; default: the configured namespace' }) };

  static override flags = {
    to: Flags.string({ description: 'a broker of the local cluster (broker-2) to take it: its namespace bundles are unloaded with that destination' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BrokerUnload);
    const r = await unload(this.settingsFrom(flags), new LocalCluster().running(), args.target, flags.to);
    this.out.result(r, () => this.out.line(unloadLine(r, this.out.color)));
  }
}
