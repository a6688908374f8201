/**
 * `runDoctor`: check, one line each, that miso can work against the configured cluster.
 *
 *   config → token → admin API → binary port (TCP, or TLS with its certificate) → broker
 *   handshake (a real CONNECT, which checks the token on the binary port) → admin
 *   authentication → tenant → namespace → namespace policies → topics → schemas per topic.
 *
 * Each check is 'ok', 'warn' (works, but not as miso expects), 'fail' (with a fix in
 * `hint`) or 'skip' (an earlier failure makes it meaningless). The report is not ok when any
 * check failed. Nothing here prints; the command renders the report.
 *
 * Over the ~400 lines we aim for: one check after another in the order above, each short;
 * split, the chain's order and its "skip after a failure" rule would be spread over files.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { mask, type ResolvedConfig } from '../config/index.js';
import { MisoError, UnreachableError, TimeoutError } from '../errors.js';
import { AdminAuthError, NotFoundError, type AdminClient, type NamespacePolicies } from '../pulsar/admin.js';
import { openAdmin, openHandshake } from './connect.js';
import { tlsError } from '../pulsar/admin-http.js';
import { decodeJwtClaims } from '../pulsar/admin-jwt.js';
import { parseServiceUrl, type BrokerAddress } from '../pulsar/url.js';
import { EXPECTED_SCHEMA_COMPATIBILITY, describeRetention, expectedRetention, initTopicShortNames } from './init.js';
import { TOPICS, topicName } from './topics.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a 'fail' or 'warn'. */
  hint?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
  counts: Record<CheckStatus, number>;
}

export interface DoctorOptions {
  onCheck?: (check: DoctorCheck) => void;
  admin?: AdminClient;
  /** Per network probe. Default 5 s. */
  timeoutMs?: number;
  now?: () => Date;
}

/** A certificate expiring sooner than this is worth a warning. */
const EXPIRY_WARNING_DAYS = 14;
const INIT_HINT = 'Run `miso init` to create it.';

export { decodeJwtClaims } from '../pulsar/admin-jwt.js';

/** "3 d", "5 h", "12 min", "40 s". */
export function humanDuration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s >= 2 * 86_400) return `${Math.floor(s / 86_400)} d`;
  if (s >= 2 * 3600) return `${Math.floor(s / 3600)} h`;
  if (s >= 120) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s)} s`;
}

export async function runDoctor(cfg: ResolvedConfig, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const now = opts.now ?? (() => new Date());
  const admin = opts.admin ?? openAdmin(cfg, { timeoutMs });
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck): DoctorCheck => {
    checks.push(c);
    opts.onCheck?.(c);
    return c;
  };
  const skip = (name: string, because: string) => add({ name, status: 'skip', detail: because });
  const fromError = (name: string, err: unknown): DoctorCheck => {
    if (err instanceof MisoError) return add({ name, status: 'fail', detail: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    throw err;
  };

  // ── config ──
  const src = (k: string) => cfg.sources[k] ?? 'default';
  add({
    name: 'config',
    status: 'ok',
    detail: [
      `profile ${cfg.profile ?? '(none)'}`,
      `service ${cfg.serviceUrl} (${src('serviceUrl')})`,
      `admin ${cfg.adminUrl} (${src('adminUrl')})`,
      `token ${mask(cfg.token)}${cfg.token ? ` (${src('token')})` : ''}`,
      `${cfg.tenant}/${cfg.namespace}`,
      ...(cfg.tlsTrustCertsFile ? [`CA ${cfg.tlsTrustCertsFile}`] : []),
      ...(cfg.tlsAllowInsecure ? ['TLS verification OFF'] : []),
    ].join(' · '),
  });

  // ── token (read locally: expiry and subject) ──
  if (!cfg.token) {
    add({ name: 'token', status: 'ok', detail: 'none configured (fine when the broker does not require authentication)' });
  } else {
    const claims = decodeJwtClaims(cfg.token);
    if (!claims) {
      add({
        name: 'token',
        status: 'warn',
        detail: 'not a JWT (three base64url parts); the broker will likely refuse it',
        hint: 'Check the token file or value (--token/--token-file/PULSAR_TOKEN).',
      });
    } else if (typeof claims.exp === 'number' && claims.exp * 1000 <= now().getTime()) {
      const at = new Date(claims.exp * 1000);
      add({
        name: 'token',
        status: 'fail',
        detail: `token for "${claims.sub ?? '?'}" expired ${humanDuration(now().getTime() - at.getTime())} ago (${at.toISOString()})`,
        hint: 'Get a new token and pass it with --token-file or PULSAR_TOKEN (or update the profile: `miso config set tokenFile <file>`).',
      });
    } else {
      const exp = typeof claims.exp === 'number' ? `expires in ${humanDuration(claims.exp * 1000 - now().getTime())}` : 'no expiry';
      add({ name: 'token', status: 'ok', detail: `JWT for subject "${claims.sub ?? '?'}", ${exp}` });
    }
  }

  // ── admin API reachable ──
  let adminUp = false;
  let clusters: string[] | undefined;
  try {
    clusters = await admin.clusters();
    adminUp = true;
  } catch (err) {
    if (err instanceof AdminAuthError)
      adminUp = true; // it answered; authentication is its own check
    else fromError('admin API', err);
  }
  if (adminUp) {
    const version = await admin.brokerVersion().catch(() => undefined);
    const about = [version ? `Pulsar ${version}` : undefined, clusters ? `cluster ${clusters.join(', ')}` : 'clusters not readable'].filter(Boolean);
    add({ name: 'admin API', status: 'ok', detail: `${admin.adminUrl} answers (${about.join(', ')})` });
  }

  // ── binary port ──
  let addr: BrokerAddress | undefined;
  try {
    addr = parseServiceUrl(cfg.serviceUrl)[0];
  } catch (err) {
    fromError('binary port', err);
  }
  let binaryUp = false;
  if (addr) {
    try {
      const probe = await probeBinaryPort(addr, cfg, timeoutMs, now());
      binaryUp = true;
      add({ name: 'binary port', ...probe });
    } catch (err) {
      fromError('binary port', err);
    }
  }

  // ── broker handshake (CONNECT with the token) ──
  if (!addr || !binaryUp) {
    skip('broker handshake', 'the binary port is not reachable');
  } else {
    try {
      const conn = await openHandshake(cfg, addr, timeoutMs);
      add({
        name: 'broker handshake',
        status: 'ok',
        detail: `CONNECT accepted${cfg.token ? ' with the token' : ''} (${conn.serverVersion || 'broker'}, protocol ${conn.protocolVersion})`,
      });
      conn.close();
    } catch (err) {
      fromError('broker handshake', err);
    }
  }

  // ── admin authentication ──
  let tenantState: 'exists' | 'missing' | 'unknown' = 'unknown';
  let tenantDenied: AdminAuthError | undefined;
  if (!adminUp) {
    skip('authentication', 'the admin API is not reachable');
  } else {
    try {
      await admin.tenant(cfg.tenant);
      tenantState = 'exists';
    } catch (err) {
      if (err instanceof NotFoundError) tenantState = 'missing';
      else if (err instanceof AdminAuthError && err.kind === 'permission') tenantDenied = err;
      else fromError('authentication', err);
    }
    if (tenantState !== 'unknown' || tenantDenied) {
      add({
        name: 'authentication',
        status: 'ok',
        detail: !cfg.token
          ? 'no token needed by the admin API'
          : tenantDenied
            ? 'the admin API accepts the token (its role is limited, see below)'
            : `the admin API accepts the token for tenant ${cfg.tenant}`,
      });
    }
  }

  // ── tenant, namespace ──
  const nsName = `${cfg.tenant}/${cfg.namespace}`;
  let nsExists = false;
  if (tenantDenied) {
    add({ name: 'tenant', status: 'fail', detail: tenantDenied.message, ...(tenantDenied.hint ? { hint: tenantDenied.hint } : {}) });
  } else if (tenantState === 'unknown') {
    skip('tenant', adminUp ? 'cannot read it with these credentials' : 'the admin API is not reachable');
  } else if (tenantState === 'missing') {
    add({ name: 'tenant', status: 'fail', detail: `tenant ${cfg.tenant} does not exist`, hint: INIT_HINT });
  } else {
    add({ name: 'tenant', status: 'ok', detail: `${cfg.tenant} exists` });
  }
  if (tenantState !== 'exists') {
    skip('namespace', `tenant ${cfg.tenant} is not available`);
  } else {
    try {
      nsExists = (await admin.namespaces(cfg.tenant)).includes(nsName);
      add(
        nsExists
          ? { name: 'namespace', status: 'ok', detail: `${nsName} exists` }
          : { name: 'namespace', status: 'fail', detail: `namespace ${nsName} does not exist`, hint: INIT_HINT },
      );
    } catch (err) {
      fromError('namespace', err);
    }
  }

  // ── namespace policies ──
  const policyNames = ['retention', 'deduplication', 'schema compatibility', 'auto topic creation', 'inactive topic deletion'];
  let policies: NamespacePolicies | undefined;
  if (nsExists) {
    try {
      policies = await admin.namespacePolicies(cfg);
    } catch (err) {
      fromError('namespace policies', err);
    }
  }
  if (!policies) {
    for (const n of policyNames) skip(n, `namespace ${nsName} is not available`);
  } else {
    const fix = 'Run `miso init` to set it.';
    const want = expectedRetention(cfg);
    const r = policies.retention;
    if (!r)
      add({
        name: 'retention',
        status: 'warn',
        detail: 'not set: acknowledged messages are deleted, so `tail --since` and `trace` cannot look back',
        hint: fix,
      });
    else if (r.retentionTimeInMinutes !== want.retentionTimeInMinutes || r.retentionSizeInMB !== want.retentionSizeInMB) {
      add({
        name: 'retention',
        status: 'warn',
        detail: `${describeRetention(r)} (config says ${describeRetention(want)})`,
        hint: 'Run `miso init` to apply the configured retention, or change retentionMinutes/retentionSizeMb.',
      });
    } else add({ name: 'retention', status: 'ok', detail: describeRetention(r) });

    add(
      policies.deduplicationEnabled === true
        ? { name: 'deduplication', status: 'ok', detail: 'on' }
        : {
            name: 'deduplication',
            status: 'fail',
            detail: `${policies.deduplicationEnabled === false ? 'off' : 'not set on the namespace'}: resent events would be stored twice`,
            hint: fix,
          },
    );

    const strategy = policies.schemaCompatibilityStrategy;
    add(
      strategy === EXPECTED_SCHEMA_COMPATIBILITY
        ? { name: 'schema compatibility', status: 'ok', detail: strategy }
        : { name: 'schema compatibility', status: 'fail', detail: `${strategy ?? 'broker default'} instead of ${EXPECTED_SCHEMA_COMPATIBILITY}`, hint: fix },
    );

    const auto = policies.autoTopicCreationOverride;
    add(
      auto?.allowAutoTopicCreation === false
        ? { name: 'auto topic creation', status: 'ok', detail: 'off' }
        : {
            name: 'auto topic creation',
            status: 'warn',
            detail: `${auto ? 'on' : 'broker default'}: a misspelled topic name would be created silently`,
            hint: fix,
          },
    );

    const inactive = policies.inactiveTopicPolicies;
    add(
      inactive?.deleteWhileInactive === false
        ? { name: 'inactive topic deletion', status: 'ok', detail: 'off' }
        : {
            name: 'inactive topic deletion',
            status: 'warn',
            detail: `${inactive ? 'on' : 'broker default'}: topics without subscriptions (events, dead letters) are deleted after a minute idle, with their history`,
            hint: fix,
          },
    );
  }

  // ── topics ──
  const expected = initTopicShortNames();
  let present = new Set<string>();
  if (!nsExists) {
    skip('topics', `namespace ${nsName} is not available`);
  } else {
    try {
      present = new Set([...(await admin.topics(cfg)), ...(await admin.partitionedTopics(cfg))]);
      const missing = expected.filter((t) => !present.has(topicName(cfg, t)));
      add(
        missing.length === 0
          ? { name: 'topics', status: 'ok', detail: `all ${expected.length} present (8 topics, ${expected.length - TOPICS.length} dead-letter topics)` }
          : {
              name: 'topics',
              status: 'fail',
              detail: `${missing.length} of ${expected.length} missing: ${missing.join(', ')}`,
              hint: 'Run `miso init` to create them.',
            },
      );
    } catch (err) {
      fromError('topics', err);
    }
  }

  // ── schemas ──
  if (!TOPICS.some((short) => present.has(topicName(cfg, short)))) {
    skip('schemas', 'no topic to look at');
  } else
    for (const short of TOPICS) {
      const name = `schema ${short}`;
      const full = topicName(cfg, short);
      if (!present.has(full)) {
        skip(name, 'topic not available');
        continue;
      }
      try {
        const s = await admin.getSchema(full);
        add(
          s
            ? { name, status: 'ok', detail: `registered, version ${s.version} (${s.type})` }
            : {
                name,
                status: 'warn',
                detail: 'none registered yet',
                hint: 'Register the catalog with `miso schemas push` (services also register it when they first publish).',
              },
        );
      } catch (err) {
        fromError(name, err);
      }
    }

  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, checks, counts };
}

/** Plain TCP connect, or a TLS handshake that verifies the certificate and reports on it. */
async function probeBinaryPort(addr: BrokerAddress, cfg: ResolvedConfig, timeoutMs: number, now: Date): Promise<Omit<DoctorCheck, 'name'>> {
  const target = addr.url;
  const unreachable = (err: NodeJS.ErrnoException): MisoError => {
    if (err.code === 'ECONNREFUSED')
      return new UnreachableError(`nothing listens at ${target} (connection refused)`, { hint: 'Start it with `miso broker up` or check --service-url.' });
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
      return new UnreachableError(`cannot resolve the host of ${target}`, { hint: 'Check the host name in --service-url.' });
    if (addr.tls) return tlsError(err, target);
    return new UnreachableError(`cannot connect to ${target}: ${err.message}`, { hint: 'Check --service-url and that the broker is running.' });
  };
  const timeout = () =>
    new TimeoutError(`no answer from ${target} within ${timeoutMs} ms`, { hint: 'Check --service-url, firewalls, and that the broker is running.' });

  if (!addr.tls) {
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: addr.host, port: addr.port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(timeout());
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.destroy();
        resolve();
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(unreachable(err));
      });
    });
    return { status: 'ok', detail: `${target} accepts TCP connections` };
  }

  let ca: Buffer | undefined;
  if (cfg.tlsTrustCertsFile) {
    try {
      ca = readFileSync(cfg.tlsTrustCertsFile);
    } catch (err) {
      throw new MisoError(`cannot read the TLS trust file ${cfg.tlsTrustCertsFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        hint: 'Check the path given by --tls-trust-certs.',
      });
    }
  }
  const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
    const sock = tls.connect({
      host: addr.host,
      port: addr.port,
      ...(net.isIP(addr.host) ? {} : { servername: addr.host }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: !cfg.tlsAllowInsecure,
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(timeout());
    }, timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const c = sock.getPeerCertificate();
      sock.destroy();
      resolve(c);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(err));
    });
  });
  const subject = cert.subject?.CN ?? '?';
  const names = cert.subjectaltname ? ` [${cert.subjectaltname}]` : '';
  const validTo = new Date(cert.valid_to);
  const left = validTo.getTime() - now.getTime();
  const base = `${target} TLS ok: certificate CN=${subject}${names}, issued by ${cert.issuer?.CN ?? '?'}`;
  if (cfg.tlsAllowInsecure) {
    return {
      status: 'warn',
      detail: `${base}, NOT verified (--tls-allow-insecure)`,
      hint: 'Pass the CA with --tls-trust-certs instead of turning verification off.',
    };
  }
  if (left < EXPIRY_WARNING_DAYS * 86_400_000) {
    return { status: 'warn', detail: `${base}, expires in ${humanDuration(left)} (${validTo.toISOString()})`, hint: 'Renew the broker certificate soon.' };
  }
  return { status: 'ok', detail: `${base}, valid until ${validTo.toISOString().slice(0, 10)}` };
}
