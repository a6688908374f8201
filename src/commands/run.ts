import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { SERVICE_MODES, SERVICES } from '../config/index.js';
import { initCluster } from '../core/init.js';
import { MisoError, UsageError } from '../errors.js';
import { checkInstances, DEFAULT_PORTS, parseServices, shutdownSignal, startServices } from '../services/runner.js';
import { instanceArgs, Supervisor } from '../services/supervisor.js';
import { serviceStartedLines, servicesStoppedLine } from '../ui/render/run.js';

export default class Run extends ConnectedCommand {
  static override description = 'Run a service (or all four in one process): consume its command topic, publish its events, serve /health and /metrics';
  static override examples = [
    '<%= config.bin %> run payment',
    '<%= config.bin %> run tracking --mode hybrid --port 9102',
    '<%= config.bin %> run commission --key-shared --db ./commission-2.db --port 0',
    '<%= config.bin %> run payment --payout-failure-rate 0.3',
    '<%= config.bin %> run all --init',
    '<%= config.bin %> run payment --database-url postgres://miso@127.0.0.1:55432/miso --port 0   # start it three times',
    '<%= config.bin %> run payment --instances 3 --database-url postgres://miso@127.0.0.1:55432/miso',
  ];
  static override args = {
    service: Args.string({ description: 'which service', options: [...SERVICES, 'all'], required: true }),
  };
  static override flags = {
    mode: Flags.string({
      description: 'event: consume the command topic; http: REST endpoints; hybrid: both (default: <SERVICE>_SERVICE_MODE, else event)',
      options: [...SERVICE_MODES],
    }),
    port: Flags.integer({
      description: `HTTP port for health, metrics and REST (default ${Object.values(DEFAULT_PORTS).join('/')}; 0 = any free port; with all, the first of four consecutive ports)`,
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ description: 'address the HTTP server binds to (0.0.0.0 in containers)', default: '127.0.0.1' }),
    db: Flags.string({ description: 'database file of the service (default <state dir>/services/<service>.db)' }),
    'database-url': Flags.string({
      description:
        'PostgreSQL shared by several instances, e.g. postgres://miso@127.0.0.1:55432/miso (`miso db up`); default <SERVICE>_DATABASE_URL, MISO_DATABASE_URL, the profile, else SQLite files',
    }),
    instances: Flags.integer({
      description: 'run this many instances of the service as processes on one PostgreSQL database (ports from --port up), restarting any that dies',
      min: 1,
    }),
    'instance-id': Flags.string({ description: 'name of this instance in /health and /metrics (default: host, pid and a random part)' }),
    'data-dir': Flags.string({ description: 'directory for the databases of the services (one <service>.db each)' }),
    'key-shared': Flags.boolean({ description: 'Key_Shared subscription: several instances keep per-aggregate order' }),
    'payout-failure-rate': Flags.string({ description: 'payment: share of payout attempts the simulated provider fails transiently (0..1)' }),
    'fail-next': Flags.integer({ description: 'payment: the next N payout attempts fail transiently', min: 0 }),
    'provider-db': Flags.string({ description: "payment: the simulated payout provider's ledger file" }),
    plans: Flags.string({ description: 'commission: JSON file of campaign commission plans' }),
    init: Flags.boolean({ description: 'create tenant, namespace and topics first (as `miso init`)' }),
    'nack-delay-ms': Flags.integer({ description: 'delay before a failed message is redelivered', min: 0, default: 500, hidden: true }),
    'ack-group-ms': Flags.integer({ description: 'how long acknowledgements wait to go out together (ms)', min: 0, max: 10_000, hidden: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const cfg = this.settingsFrom(flags);
    const services = parseServices(args.service);
    const rate = flags['payout-failure-rate'] === undefined ? undefined : Number(flags['payout-failure-rate']);
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new UsageError(`--payout-failure-rate must be a number from 0 to 1, got "${flags['payout-failure-rate']}"`, {
        hint: 'For example --payout-failure-rate 0.3 fails 30 % of payout attempts.',
      });
    }
    if (flags.init) {
      const report = await initCluster(cfg);
      if (!report.ok) throw new MisoError(`init of ${cfg.tenant}/${cfg.namespace} failed`, { hint: 'Run `miso init` to see which step fails.' });
    }
    if (flags.instances && flags.instances > 1) {
      checkInstances(services, flags.instances, {
        cfg,
        ...(flags.db ? { db: flags.db } : {}),
        ...(flags['database-url'] ? { databaseUrl: flags['database-url'] } : {}),
      });
      const supervisor = new Supervisor({
        count: flags.instances,
        program: process.argv[1]!,
        args: ['run', ...instanceArgs(this.argv)],
        baseId: flags['instance-id'] ?? `${services[0]}-${process.pid}`,
        basePort: flags.port ?? DEFAULT_PORTS[services[0]!],
        // With --json each instance's documents pass through as NDJSON (they name the instance).
        stdout: (id, l) => (this.out.json && l.startsWith('{') ? this.out.data(JSON.parse(l)) : this.out.line(`[${id}] ${l}`)),
        log: (l) => this.out.info(l),
      });
      supervisor.start();
      const sig = await shutdownSignal();
      this.out.info(`${sig}: stopping ${flags.instances} instances…`);
      await supervisor.stop();
      return;
    }
    const ports = flags.port === undefined ? undefined : Object.fromEntries(services.map((s, i) => [s, flags.port === 0 ? 0 : flags.port! + i]));
    const running = await startServices({
      cfg,
      services,
      ...(flags.mode ? { mode: flags.mode as (typeof SERVICE_MODES)[number] } : {}),
      ...(ports ? { ports } : {}),
      host: flags.host,
      ...(flags.db ? { db: flags.db } : {}),
      ...(flags['data-dir'] ? { dataDir: flags['data-dir'] } : {}),
      ...(flags['database-url'] ? { databaseUrl: flags['database-url'] } : {}),
      ...(flags['instance-id'] ? { instanceId: flags['instance-id'] } : {}),
      keyShared: flags['key-shared'],
      ...(rate !== undefined ? { payoutFailureRate: rate } : {}),
      ...(flags['fail-next'] !== undefined ? { failNext: flags['fail-next'] } : {}),
      ...(flags['provider-db'] ? { providerDb: flags['provider-db'] } : {}),
      ...(flags.plans ? { plansFile: flags.plans } : {}),
      nackDelayMs: flags['nack-delay-ms'],
      ...(flags['ack-group-ms'] !== undefined ? { ackGroupMs: flags['ack-group-ms'] } : {}),
      log: (l) => this.out.info(l),
      clientLog: (l) => this.out.debug(l),
    });
    for (const h of running.hosts) {
      const h1 = await h.health();
      const topics = (h1.topics_subscribed as { topic: string }[]).map((t) => t.topic);
      // The bound port (with --port 0 the system picks it): `miso demo` reads it from this line.
      this.out.result({ event: 'started', ...h1, port: h.port, url: h.url }, () => {
        const started = {
          name: h.def.name,
          mode: h.opts.mode,
          url: h.url,
          db: h.store.location,
          topics,
          subscription: h.subscription,
          keyShared: Boolean(h.opts.keyShared),
        };
        for (const l of serviceStartedLines(started, this.out.color)) this.out.line(l);
      });
    }
    this.out.info(`Running on ${cfg.serviceUrl} (${cfg.tenant}/${cfg.namespace}). Ctrl-C stops gracefully.`);
    const sig = await shutdownSignal();
    this.out.info(`${sig}: stopping (finishing in-flight messages, publishing the outbox)…`);
    const left = await running.stop();
    this.out.result({ event: 'stopped', outbox_left: left }, () => this.out.line(servicesStoppedLine(left)));
  }
}
