import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { topicOwners } from '../../broker/drills.js';
import { LocalBroker } from '../../broker/local.js';
import { brokerStatusLines, clusterStatusLines } from '../../ui/render/broker.js';

export default class BrokerStatus extends ConnectedCommand {
  static override description =
    'Say whether the local broker (or each process of the local cluster) runs: role, pid, ports, memory; --topics names the owner of each miso topic';
  static override flags = {
    topics: Flags.boolean({ description: "look up which broker owns each of miso's topics (each partition)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerStatus);
    const cluster = new LocalCluster();
    const [standalone, cl] = await Promise.all([new LocalBroker().status(), cluster.status()]);
    const owners = flags.topics ? await topicOwners(this.settingsFrom(flags), cluster.running()) : undefined;
    this.out.result({ ...standalone, cluster: cl, ...(owners ? { owners } : {}) }, () => {
      if (standalone.running || cl.processes.length === 0) for (const l of brokerStatusLines(standalone)) this.out.line(l);
      for (const l of clusterStatusLines(cl, owners, this.out.color)) this.out.line(l);
    });
  }
}
