import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { paths, resolveDatabaseUrl, resolveServiceMode, SERVICES, type ResolvedConfig, type ServiceMode, type ServiceName } from '../config/index.js';
import { openAdmin, openClient } from '../core/connect.js';
import { ConfigError, UsageError } from '../errors.js';
import type { PulsarClient } from '../core/connect.js';
import { campaignService } from './campaign/service.js';
import { commissionService } from './commission/service.js';
import { validatePlan, type CommissionPlan } from './commission/rules.js';
import type { ServiceDefinition } from './host/definition.js';
import { ServiceHost } from './host/service-host.js';
import { paymentService } from './payment/service.js';
import { SimulatedPayoutProvider } from './payment/provider.js';
import { PostgresPayoutProvider } from './payment/provider-postgres.js';
import { SqliteStore } from './store/sqlite.js';
import { PostgresStore } from './store/postgres.js';
import type { ServiceStore } from './store/store.js';
import { sqliteSql } from './store/sql.js';
import { trackingService } from './tracking/service.js';

/**
 * Starting and stopping services: `miso run <service>|all`, `miso demo`, the tests and the
 * benchmark all come through here. One Pulsar client per process, one store per service.
 */

/** Default HTTP ports: health, metrics and (http/hybrid) the REST routes. */
export const DEFAULT_PORTS: Record<ServiceName, number> = { campaign: 8101, tracking: 8102, commission: 8103, payment: 8104 };

export interface RunOptions {
  cfg: ResolvedConfig;
  services: readonly ServiceName[];
  /** Mode from the flag; each service otherwise takes `<SERVICE>_SERVICE_MODE`, else event. */
  mode?: ServiceMode;
  /** Port per service; a single number applies when one service runs. 0 = any free port. */
  ports?: Partial<Record<ServiceName, number>>;
  host?: string;
  /** Database file of a single service. */
  db?: string;
  /** Directory of the databases (`<dir>/<service>.db`); default `<state dir>/services`. */
  dataDir?: string;
  keyShared?: boolean;
  /**
   * PostgreSQL instead of SQLite files (`--database-url`); each service otherwise takes
   * `<SERVICE>_DATABASE_URL`, `MISO_DATABASE_URL` or the profile's `databaseUrl`.
   */
  databaseUrl?: string;
  /** Schema of each service in PostgreSQL (default: the service's name); tests use random ones. */
  schemas?: Partial<Record<ServiceName, string>>;
  /** This instance's id, shown in /health and /metrics (default: host, pid, random). */
  instanceId?: string;
  /** Outbox lease time (ms) on PostgreSQL. */
  outboxLeaseMs?: number;
  /** The simulated payout provider: its ledger, failure rate and forced failures. */
  providerDb?: string;
  payoutFailureRate?: number;
  failNext?: number;
  /** Campaign commission plans, JSON `{ "<campaign id>": { "click": {...} } }`. */
  plansFile?: string;
  maxRedeliveries?: number;
  nackDelayMs?: number;
  ackGroupMs?: number;
  log?: (line: string) => void;
  /** Diagnostic lines of the Pulsar client (connections, dead-lettering by the client). */
  clientLog?: (line: string) => void;
  /** Use this client instead of creating one (tests share one). */
  client?: PulsarClient;
}

export interface RunningServices {
  hosts: ServiceHost<unknown>[];
  client: PulsarClient;
  /** Graceful stop of everything; returns what was left in each outbox. */
  stop(): Promise<Record<string, number>>;
}

export function databaseFile(service: ServiceName, opts: Pick<RunOptions, 'db' | 'dataDir'>): string {
  if (opts.db) return opts.db;
  return join(opts.dataDir ?? join(paths.stateDir(), 'services'), `${service}.db`);
}

export function parseServices(arg: string): ServiceName[] {
  if (arg === 'all') return [...SERVICES];
  if ((SERVICES as readonly string[]).includes(arg)) return [arg as ServiceName];
  throw new UsageError(`unknown service "${arg}"`, { hint: `Use one of: ${SERVICES.join(', ')}, all.` });
}

/** Check option combinations before anything starts. */
export function checkRunOptions(opts: RunOptions): void {
  if (opts.db && opts.databaseUrl) {
    throw new UsageError('--db names an SQLite file and --database-url a PostgreSQL database', { hint: 'Give one of them.' });
  }
  if (opts.db && opts.services.length > 1) {
    throw new UsageError('--db names the database of one service', { hint: 'With `all`, use --data-dir <dir> (one <service>.db per service).' });
  }
  if (opts.payoutFailureRate !== undefined && !(opts.payoutFailureRate >= 0 && opts.payoutFailureRate <= 1)) {
    throw new UsageError(`--payout-failure-rate must be from 0 to 1, got ${opts.payoutFailureRate}`, {
      hint: 'For example --payout-failure-rate 0.3 fails 30 % of payout attempts.',
    });
  }
  if ((opts.payoutFailureRate || opts.failNext) && !opts.services.includes('payment')) {
    throw new UsageError('--payout-failure-rate and --fail-next are payment service settings', { hint: 'Use them with `miso run payment` or `miso run all`.' });
  }
  if (opts.plansFile && !opts.services.includes('commission')) {
    throw new UsageError('--plans is a commission service setting', { hint: 'Use it with `miso run commission` or `miso run all`.' });
  }
  const ports = Object.values(opts.ports ?? {}).filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length)
    throw new UsageError('two services cannot share an HTTP port', { hint: 'Give each its own port, or 0 for any free port.' });
}

export function loadPlans(file: string): Record<string, CommissionPlan> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read plans file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'Give --plans a JSON file: {"<campaign id>": {"click": {"kind": "flat", "amountCents": 40}}}.',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`plans file ${file} is not valid JSON: ${(err as Error).message}`, { hint: 'Check the file with a JSON linter.' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`plans file ${file} must hold an object keyed by campaign id`, {
      hint: '{"<campaign id>": {"click": {"kind": "flat", "amountCents": 40}}}',
    });
  }
  for (const [campaign, plan] of Object.entries(value)) {
    const problems = validatePlan(plan);
    if (problems.length)
      throw new ConfigError(`plans file ${file}: campaign ${campaign}: ${problems[0]!.path ? `${problems[0]!.path} ` : ''}${problems[0]!.problem}`, {
        hint: 'Rules are {"kind":"flat","amountCents":N} or {"kind":"percent","basisPoints":N,"minCents"?:N,"maxCents"?:N}.',
      });
  }
  return value as Record<string, CommissionPlan>;
}

async function definitionFor(service: ServiceName, opts: RunOptions, dbFile: string): Promise<ServiceDefinition<unknown>> {
  switch (service) {
    case 'campaign':
      return campaignService() as ServiceDefinition<unknown>;
    case 'tracking':
      return trackingService() as ServiceDefinition<unknown>;
    case 'commission':
      return commissionService() as ServiceDefinition<unknown>;
    case 'payment': {
      const failures = { failureRate: opts.payoutFailureRate ?? 0, failNext: opts.failNext ?? 0 };
      // With PostgreSQL the provider's books live there too, shared by every payment instance.
      const url = opts.db || opts.providerDb ? undefined : resolveDatabaseUrl('payment', opts.databaseUrl, opts.cfg.profile);
      if (url) {
        const provider = await PostgresPayoutProvider.open({
          url: url.url,
          ...(opts.schemas?.payment ? { schema: `${opts.schemas.payment}_provider` } : {}),
          ...failures,
        });
        return paymentService({ provider }) as ServiceDefinition<unknown>;
      }
      const file = opts.providerDb ?? (dbFile === ':memory:' ? ':memory:' : join(dirname(dbFile), 'payout-provider.db'));
      const provider = new SimulatedPayoutProvider({ file, ...failures });
      return paymentService({ provider }) as ServiceDefinition<unknown>;
    }
  }
}

export async function startServices(opts: RunOptions): Promise<RunningServices> {
  checkRunOptions(opts);
  const plans = opts.plansFile ? loadPlans(opts.plansFile) : undefined;
  const modes = Object.fromEntries(opts.services.map((s) => [s, resolveServiceMode(s, opts.mode)])) as Record<ServiceName, ServiceMode>;
  const ownClient = !opts.client;
  const client = opts.client ?? openClient(opts.cfg, opts.clientLog ? { log: (l) => opts.clientLog!(`pulsar: ${l}`) } : {});
  const hosts: ServiceHost<unknown>[] = [];
  const admin = openAdmin(opts.cfg);
  const stopAll = async (): Promise<Record<string, number>> => {
    const left: Record<string, number> = {};
    // Reverse order: the end of the chain finishes before the services feeding it.
    for (const h of [...hosts].reverse()) left[h.def.name] = (await h.stop()).outboxLeft;
    if (ownClient) await client.close().catch(() => {});
    return left;
  };
  try {
    for (const service of opts.services) {
      const file = databaseFile(service, opts);
      const def = await definitionFor(service, opts, file);
      const store = await openStore(service, def, opts, file).catch(async (err: unknown) => {
        await def.close?.();
        throw err;
      });
      if (service === 'commission' && plans) {
        await store.transaction(async (tx) => {
          for (const [campaign, plan] of Object.entries(plans))
            await (tx.repo as { setPlan(c: string, p: CommissionPlan, at: number): Promise<void> }).setPlan(campaign, plan, Date.now());
        });
      }
      const host = new ServiceHost(def, store, {
        ...(opts.instanceId ? { instanceId: opts.instanceId } : {}),
        ...(opts.outboxLeaseMs !== undefined ? { outboxLeaseMs: opts.outboxLeaseMs } : {}),
        scope: opts.cfg,
        client,
        mode: modes[service],
        port: opts.ports?.[service] ?? DEFAULT_PORTS[service],
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.keyShared ? { keyShared: true } : {}),
        ...(opts.maxRedeliveries !== undefined ? { maxRedeliveries: opts.maxRedeliveries } : {}),
        ...(opts.nackDelayMs !== undefined ? { nackDelayMs: opts.nackDelayMs } : {}),
        ...(opts.ackGroupMs !== undefined ? { ackGroupMs: opts.ackGroupMs } : {}),
        ...(opts.log ? { log: opts.log } : {}),
        ensureTopic: async (topic) => {
          await admin.ensureTopic(topic);
        },
      });
      hosts.push(host);
      try {
        await host.start();
      } catch (err) {
        throw portInUse(err, host.opts.port, service) ?? err;
      }
    }
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
  return { hosts, client, stop: stopAll };
}

/** Several instances need one database they all reach: PostgreSQL. */
export function checkInstances(services: readonly ServiceName[], count: number, opts: Pick<RunOptions, 'databaseUrl' | 'db' | 'cfg'>): void {
  if (count <= 1) return;
  if (services.length !== 1)
    throw new UsageError('--instances runs several instances of one service', { hint: 'Name the service, e.g. `miso run payment --instances 3`.' });
  if (opts.db || !resolveDatabaseUrl(services[0]!, opts.databaseUrl, opts.cfg.profile)) {
    throw new UsageError('several instances need a database they share: PostgreSQL', {
      hint: 'Give --database-url (or MISO_DATABASE_URL); `miso db up` starts one on this machine.',
    });
  }
}

/** PostgreSQL when a database URL is set for the service (flag, env, profile), else its SQLite file. */
async function openStore(service: ServiceName, def: ServiceDefinition<unknown>, opts: RunOptions, file: string): Promise<ServiceStore<unknown>> {
  const url = opts.db ? undefined : resolveDatabaseUrl(service, opts.databaseUrl, opts.cfg.profile);
  if (!url) return new SqliteStore({ file, migrations: def.migrations, repo: (db) => def.repo(sqliteSql(db)) });
  return PostgresStore.open({ url: url.url, schema: opts.schemas?.[service] ?? service, migrations: def.migrations, repo: def.repo });
}

function portInUse(err: unknown, port: number, service: ServiceName): UsageError | undefined {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return undefined;
  return new UsageError(`port ${port} for the ${service} service is in use`, { hint: `Stop what listens there (another \`miso run\`?) or choose --port.` });
}

/** Resolves on the first SIGINT or SIGTERM (the caller then stops the services). */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
