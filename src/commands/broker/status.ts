import { BaseCommand } from '../../cli/base.js';
import { LocalBroker } from '../../broker/local.js';

export default class BrokerStatus extends BaseCommand {
  static override description = 'Say whether the local broker runs, its version, ports and data size';

  async run(): Promise<void> {
    await this.parse(BrokerStatus);
    const s = await new LocalBroker().status();
    this.out.result(s, () => {
      if (!s.running) {
        this.out.line('Broker: not running (start it with `miso broker up`)');
        this.out.line(`  data      ${s.dataDir} (${mb(s.dataBytes)})`);
        return;
      }
      this.out.line(`Broker: running${s.ready ? '' : ' (not ready yet)'} — Pulsar ${s.version}, pid ${s.pid}, since ${s.startedAt}`);
      this.out.line(`  service URL  ${s.serviceUrl}`);
      this.out.line(`  admin URL    ${s.adminUrl}`);
      this.out.line(`  data         ${s.dataDir} (${mb(s.dataBytes)})`);
      this.out.line(`  log          ${s.logFile}`);
    });
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
