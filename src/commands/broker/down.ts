import { BaseCommand } from '../../cli/base.js';
import { LocalBroker } from '../../broker/local.js';
import { brokerDownLine } from '../../ui/render/broker.js';

export default class BrokerDown extends BaseCommand {
  static override description = 'Stop the local broker that `miso broker up` started (and nothing else)';

  async run(): Promise<void> {
    await this.parse(BrokerDown);
    const r = await new LocalBroker().down();
    this.out.result(r, () => this.out.line(brokerDownLine(r, this.out.color)));
  }
}
