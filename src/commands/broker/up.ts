import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { brokerUp } from '../../broker/commands.js';
import { DEFAULT_BROKER_OPTIONS } from '../../broker/local.js';
import { Spinner } from '../../ui/spinner.js';

export default class BrokerUp extends BaseCommand {
  static override description = 'Start a local Apache Pulsar standalone (fetched from Maven Central on first use) and point the "local" profile at it';
  static override examples = ['<%= config.bin %> broker up', '<%= config.bin %> broker up --port 16650 --web-port 18080'];
  static override flags = {
    port: Flags.integer({ description: 'binary protocol port', default: DEFAULT_BROKER_OPTIONS.servicePort, min: 1, max: 65535 }),
    'web-port': Flags.integer({ description: 'admin REST port', default: DEFAULT_BROKER_OPTIONS.webPort, min: 1, max: 65535 }),
    'heap-mb': Flags.integer({ description: 'Java heap of the broker in MB', default: DEFAULT_BROKER_OPTIONS.heapMb, min: 128 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerUp);
    const spinner = new Spinner().start('Looking for a Pulsar distribution…');
    let r;
    try {
      r = await brokerUp({ servicePort: flags.port, webPort: flags['web-port'], heapMb: flags['heap-mb'], onProgress: (t) => spinner.update(t) });
    } finally {
      spinner.stop();
    }
    const c = this.out.color;
    this.out.result({ ...r.state, alreadyRunning: r.alreadyRunning, seconds: r.seconds, profile: r.profile }, () => {
      this.out.line(r.alreadyRunning
        ? `${c.green('✔')} Pulsar ${r.state.version} is already running (pid ${r.state.pid})`
        : `${c.green('✔')} Pulsar ${r.state.version} ready in ${r.seconds.toFixed(1)} s (pid ${r.state.pid})`);
      this.out.line(`  service URL  ${r.state.serviceUrl}`);
      this.out.line(`  admin URL    ${r.state.adminUrl}`);
      this.out.line(`  profile      ${r.profile}`);
      this.out.line(`  logs         miso broker logs -f`);
    });
  }
}
