import { BaseCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { LocalBroker } from '../../broker/local.js';
import { brokerDownLine, clusterDownLine } from '../../ui/render/broker.js';

export default class BrokerDown extends BaseCommand {
  static override description = 'Stop the local broker or cluster that `miso broker up` started (and nothing else)';

  async run(): Promise<void> {
    await this.parse(BrokerDown);
    const cluster = await new LocalCluster().down();
    const r = await new LocalBroker().down();
    this.out.result({ ...r, cluster }, () => {
      if (r.stopped || cluster.stopped.length === 0) this.out.line(brokerDownLine(r, this.out.color));
      if (cluster.stopped.length) this.out.line(clusterDownLine(cluster, this.out.color));
    });
  }
}
