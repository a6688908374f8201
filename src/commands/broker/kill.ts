import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { killLine } from '../../ui/render/broker.js';

export default class BrokerKill extends BaseCommand {
  static override description = 'Drill: kill one process of the local cluster (SIGKILL by default, as a crash would)';
  static override examples = ['<%= config.bin %> broker kill broker-2', '<%= config.bin %> broker kill broker-1 --signal SIGTERM'];
  static override args = { process: Args.string({ description: 'broker-1, broker-2, …, bookie-1 or zookeeper', required: true }) };
  static override flags = {
    signal: Flags.string({ description: 'signal to send', options: ['SIGKILL', 'SIGTERM'], default: 'SIGKILL' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BrokerKill);
    const r = new LocalCluster().kill(args.process, flags.signal as NodeJS.Signals);
    this.out.result({ ...r, signal: flags.signal }, () => this.out.line(killLine(r, flags.signal, this.out.color)));
  }
}
