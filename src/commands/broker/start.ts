import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { brokerProgressText, startLine } from '../../ui/render/broker.js';
import { Spinner } from '../../ui/spinner.js';

export default class BrokerStart extends BaseCommand {
  static override description = 'Drill: start one stopped process of the local cluster again; returns once every broker is listed';
  static override examples = ['<%= config.bin %> broker start broker-2'];
  static override args = { process: Args.string({ description: 'broker-1, broker-2, …, bookie-1 or zookeeper', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(BrokerStart);
    const spinner = new Spinner().start(`Starting ${args.process}…`);
    let r;
    try {
      r = await new LocalCluster().start(args.process, (p) => spinner.update(brokerProgressText(p)));
    } finally {
      spinner.stop();
    }
    this.out.result(r, () => this.out.line(startLine(r, this.out.color)));
  }
}
