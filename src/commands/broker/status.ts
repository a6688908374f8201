import { BaseCommand } from '../../cli/base.js';
import { LocalBroker } from '../../broker/local.js';
import { brokerStatusLines } from '../../ui/render/broker.js';

export default class BrokerStatus extends BaseCommand {
  static override description = 'Say whether the local broker runs, its version, ports and data size';

  async run(): Promise<void> {
    await this.parse(BrokerStatus);
    const s = await new LocalBroker().status();
    this.out.result(s, () => { for (const l of brokerStatusLines(s)) this.out.line(l); });
  }
}
