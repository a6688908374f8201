import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { brokerUp, clusterUp } from '../../broker/commands.js';
import { DEFAULT_CLUSTER_LAYOUT } from '../../broker/cluster-config.js';
import { DEFAULT_BROKER_OPTIONS } from '../../broker/local.js';
import { MisoError, UsageError } from '../../errors.js';
import { brokerInitStepText, brokerProgressText, brokerUpLines, clusterUpLines } from '../../ui/render/broker.js';
import { Spinner } from '../../ui/spinner.js';

export default class BrokerUp extends BaseCommand {
  static override description =
    'Start a local Apache Pulsar standalone (fetched from Maven Central on first use), point the "local" profile at it and run `miso init` there';
  static override examples = [
    '<%= config.bin %> broker up',
    '<%= config.bin %> broker up --port 16650 --web-port 18080',
    '<%= config.bin %> broker up --secure   # TLS on 6651/8443 and JWT authentication',
    '<%= config.bin %> broker up --brokers 2   # ZooKeeper, a bookie and brokers on 6650,6651 / 8080,8081',
  ];
  static override flags = {
    port: Flags.integer({ description: 'binary protocol port', default: DEFAULT_BROKER_OPTIONS.servicePort, min: 1, max: 65535 }),
    'web-port': Flags.integer({ description: 'admin REST port', default: DEFAULT_BROKER_OPTIONS.webPort, min: 1, max: 65535 }),
    'heap-mb': Flags.integer({ description: 'Java heap of the broker in MB', default: DEFAULT_BROKER_OPTIONS.heapMb, min: 128 }),
    secure: Flags.boolean({
      description:
        'TLS on the binary and admin ports plus JWT token authentication; CA, certificate, secret key and tokens are generated under the state directory',
    }),
    'tls-port': Flags.integer({ description: 'binary TLS port (with --secure)', default: 6651, min: 1, max: 65535 }),
    'web-tls-port': Flags.integer({ description: 'admin HTTPS port (with --secure)', default: 8443, min: 1, max: 65535 }),
    brokers: Flags.integer({
      description:
        'start a cluster of this many brokers (2 or more; each on --port/--web-port plus its index) with ZooKeeper and one bookie, instead of the standalone',
    }),
    'zk-port': Flags.integer({
      description: 'ZooKeeper client port (with --brokers; its metrics use the next port)',
      default: DEFAULT_CLUSTER_LAYOUT.zkPort,
      min: 1,
      max: 65535,
    }),
    'bookie-port': Flags.integer({
      description: 'bookie port (with --brokers; its metrics use the next port)',
      default: DEFAULT_CLUSTER_LAYOUT.bookiePort,
      min: 1,
      max: 65535,
    }),
    init: Flags.boolean({ description: 'create tenant, namespace, topics and policies once ready', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerUp);
    if (flags.brokers !== undefined) return this.cluster(flags);
    const spinner = new Spinner().start('Looking for a Pulsar distribution…');
    let r;
    try {
      r = await brokerUp({
        servicePort: flags.port,
        webPort: flags['web-port'],
        heapMb: flags['heap-mb'],
        init: flags.init,
        ...(flags.secure ? { secure: { tlsPort: flags['tls-port'], webTlsPort: flags['web-tls-port'] } } : {}),
        onProgress: (p) => spinner.update(brokerProgressText(p)),
        onInitStep: (s) => spinner.update(brokerInitStepText(s)),
      });
    } finally {
      spinner.stop();
    }
    this.out.result(
      {
        ...r.state,
        authToken: undefined,
        alreadyRunning: r.alreadyRunning,
        seconds: r.seconds,
        profile: r.profile,
        serviceUrl: r.serviceUrl,
        adminUrl: r.adminUrl,
        init: r.init,
        secure: r.secure,
      },
      () => {
        for (const l of brokerUpLines(r, this.out.color)) this.out.line(l);
      },
    );
    if (r.init && !r.init.ok) {
      const failed = r.init.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
      throw new MisoError(`the broker runs but init failed (${failed.join('; ')})`, { hint: 'Run `miso init` to see each step, or `miso doctor`.' });
    }
  }

  private async cluster(flags: {
    brokers?: number;
    port: number;
    'web-port': number;
    'zk-port': number;
    'bookie-port': number;
    'heap-mb': number;
    init: boolean;
    secure?: boolean;
  }): Promise<void> {
    if (flags.secure) throw new UsageError('--secure is for the standalone broker only', { hint: 'Leave out --brokers or --secure.' });
    const spinner = new Spinner().start('Looking for a Pulsar distribution…');
    let r;
    try {
      r = await clusterUp({
        brokers: flags.brokers!,
        servicePort: flags.port,
        webPort: flags['web-port'],
        zkPort: flags['zk-port'],
        bookiePort: flags['bookie-port'],
        // The standalone's 512 MB default is for one process doing everything; a cluster broker needs less.
        heapMb: flags['heap-mb'] === DEFAULT_BROKER_OPTIONS.heapMb ? 256 : flags['heap-mb'],
        init: flags.init,
        onProgress: (p) => spinner.update(brokerProgressText(p)),
        onInitStep: (s) => spinner.update(brokerInitStepText(s)),
      });
    } finally {
      spinner.stop();
    }
    this.out.result({ ...r.state, alreadyRunning: r.alreadyRunning, seconds: r.seconds, profile: r.profile, init: r.init }, () => {
      for (const l of clusterUpLines(r, this.out.color)) this.out.line(l);
    });
    if (r.init && !r.init.ok) {
      const failed = r.init.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
      throw new MisoError(`the cluster runs but init failed (${failed.join('; ')})`, { hint: 'Run `miso init` to see each step, or `miso doctor`.' });
    }
  }
}
