import { readFileSync } from 'node:fs';
import { env } from './env.js';
import { ProfileStore, type ProfileSettings } from './profiles.js';
import { registerSecret } from './secrets.js';
import { ConfigError } from '../errors.js';
import { parseServiceUrl } from '../pulsar/url.js';

export { paths } from './paths.js';
export { ProfileStore, PROFILE_KEYS, type ProfileKey, type ProfileSettings } from './profiles.js';
export { mask, redact, registerSecret } from './secrets.js';
export { noColor } from './env.js';

export const SERVICES = ['campaign', 'tracking', 'commission', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const SERVICE_MODES = ['http', 'event', 'hybrid'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** Connection settings as flags give them (every field optional). */
export interface ConfigFlags {
  profile?: string;
  serviceUrl?: string;
  adminUrl?: string;
  token?: string;
  tokenFile?: string;
  tenant?: string;
  namespace?: string;
  tlsTrustCertsFile?: string;
  tlsAllowInsecure?: boolean;
}

export type Source = 'flag' | 'env' | 'profile' | 'default';

export interface ResolvedConfig {
  /** The profile the settings came from, if any. */
  profile: string | undefined;
  serviceUrl: string;
  adminUrl: string;
  /** The token value itself (read from the token file when one is given). Never print it: use `mask`. */
  token: string | undefined;
  tenant: string;
  namespace: string;
  tlsTrustCertsFile: string | undefined;
  tlsAllowInsecure: boolean;
  retentionMinutes: number;
  retentionSizeMb: number;
  /** Where each setting came from, for `miso config get` and `miso doctor`. */
  sources: Record<string, Source>;
}

export const DEFAULTS = {
  serviceUrl: 'pulsar://127.0.0.1:6650',
  adminUrl: 'http://127.0.0.1:8080',
  tenant: 'miso-1-2025',
  namespace: 'default',
  // A week: long enough for `tail --since` and `trace` to look back over a demo or a debugging day.
  retentionMinutes: 7 * 24 * 60,
  retentionSizeMb: 1024,
} as const;

/**
 * Flags > environment > profile > defaults, decided here and nowhere else.
 * The profile is `--profile`, else `MISO_PROFILE`, else the one selected with `miso config use`.
 */
export function resolveConfig(flags: ConfigFlags = {}, store: ProfileStore = new ProfileStore()): ResolvedConfig {
  const profileName = flags.profile ?? env('MISO_PROFILE') ?? store.current();
  const profile: ProfileSettings = profileName ? store.require(profileName) : {};
  const sources: Record<string, Source> = {};

  function pick<K extends keyof ProfileSettings>(
    key: K,
    flag: ProfileSettings[K] | undefined,
    envName: string | undefined,
    def: ProfileSettings[K],
  ): ProfileSettings[K] {
    if (flag !== undefined) {
      sources[key] = 'flag';
      return flag;
    }
    const e = envName ? env(envName) : undefined;
    if (e !== undefined) {
      sources[key] = 'env';
      return parseEnv(key, e) as ProfileSettings[K];
    }
    if (profile[key] !== undefined) {
      sources[key] = 'profile';
      return profile[key];
    }
    sources[key] = 'default';
    return def;
  }

  const serviceUrl = pick('serviceUrl', flags.serviceUrl, 'PULSAR_SERVICE_URL', DEFAULTS.serviceUrl)!;
  const adminUrl = pick('adminUrl', flags.adminUrl, 'PULSAR_ADMIN_URL', DEFAULTS.adminUrl)!;
  const tenant = pick('tenant', flags.tenant, 'PULSAR_TENANT', DEFAULTS.tenant)!;
  const namespace = pick('namespace', flags.namespace, 'PULSAR_NAMESPACE', DEFAULTS.namespace)!;
  const tlsTrustCertsFile = pick('tlsTrustCertsFile', flags.tlsTrustCertsFile, 'PULSAR_TLS_TRUST_CERTS_FILE', undefined);
  const tlsAllowInsecure = pick('tlsAllowInsecure', flags.tlsAllowInsecure, 'PULSAR_TLS_ALLOW_INSECURE', false)!;
  const retentionMinutes = pick('retentionMinutes', undefined, 'MISO_RETENTION_MINUTES', DEFAULTS.retentionMinutes)!;
  const retentionSizeMb = pick('retentionSizeMb', undefined, 'MISO_RETENTION_SIZE_MB', DEFAULTS.retentionSizeMb)!;

  // A token value and a token file are one setting: the first source that gives either wins.
  let token: string | undefined;
  if (flags.token !== undefined || flags.tokenFile !== undefined) {
    token = flags.token ?? readTokenFile(flags.tokenFile!);
    sources.token = 'flag';
  } else if (env('PULSAR_TOKEN') !== undefined || env('PULSAR_TOKEN_FILE') !== undefined) {
    token = env('PULSAR_TOKEN') ?? readTokenFile(env('PULSAR_TOKEN_FILE')!);
    sources.token = 'env';
  } else if (profile.token !== undefined || profile.tokenFile !== undefined) {
    token = profile.token ?? readTokenFile(profile.tokenFile!);
    sources.token = 'profile';
  } else {
    sources.token = 'default';
  }
  registerSecret(token);

  validateServiceUrl(serviceUrl);
  validateAdminUrl(adminUrl);
  validateName('tenant', tenant);
  validateName('namespace', namespace);

  return {
    profile: profileName,
    serviceUrl,
    adminUrl,
    token,
    tenant,
    namespace,
    tlsTrustCertsFile,
    tlsAllowInsecure,
    retentionMinutes,
    retentionSizeMb,
    sources,
  };
}

/** `<SERVICE>_SERVICE_MODE`, e.g. CAMPAIGN_SERVICE_MODE=hybrid. A flag given by the caller wins. */
export function resolveServiceMode(service: ServiceName, flag: ServiceMode | undefined, fallback: ServiceMode = 'event'): ServiceMode {
  if (flag) return flag;
  const name = `${service.toUpperCase()}_SERVICE_MODE`;
  const v = env(name);
  if (v === undefined) return fallback;
  if (!(SERVICE_MODES as readonly string[]).includes(v)) {
    throw new ConfigError(`${name}="${v}" is not a service mode`, { hint: `Use one of: ${SERVICE_MODES.join(', ')}.` });
  }
  return v as ServiceMode;
}

function parseEnv(key: keyof ProfileSettings, value: string): unknown {
  if (key === 'tlsAllowInsecure') return /^(1|true|yes)$/i.test(value);
  if (key === 'retentionMinutes' || key === 'retentionSizeMb') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < -1) throw new ConfigError(`${key} must be a whole number, got "${value}"`);
    return n;
  }
  return value;
}

function readTokenFile(file: string): string {
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (!t) throw new ConfigError(`token file ${file} is empty`, { hint: 'Put the token (a JWT) in the file, or pass --token.' });
    return t;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'Check the path given by --token-file or PULSAR_TOKEN_FILE.',
    });
  }
}

/** One host or several (`pulsar://h1:6650,h2:6651`, a cluster's brokers); the client's own parser decides. */
export function validateServiceUrl(url: string): void {
  try {
    parseServiceUrl(url);
  } catch (err) {
    const detail = (err as Error).message;
    throw new ConfigError(/is not a Pulsar service URL/.test(detail) ? `malformed service URL "${url}"` : `malformed service URL: ${detail}`, {
      hint: 'Expected pulsar://host:6650, pulsar://host1:6650,host2:6651 or pulsar+ssl://host:6651 (flag --service-url or PULSAR_SERVICE_URL).',
    });
  }
}

export function validateAdminUrl(url: string): void {
  let ok: boolean;
  try {
    const u = new URL(url);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ConfigError(`malformed admin URL "${url}"`, { hint: 'Expected http://host:8080 or https://host:8443 (flag --admin-url or PULSAR_ADMIN_URL).' });
}

function validateName(what: string, value: string): void {
  if (!/^[A-Za-z0-9_.=:-]+$/.test(value)) {
    throw new ConfigError(`"${value}" is not a valid ${what} name`, { hint: `A Pulsar ${what} name uses letters, digits and - _ . = : only.` });
  }
}

/**
 * The PostgreSQL database of a service: `--database-url`, else `<SERVICE>_DATABASE_URL`
 * (e.g. PAYMENT_DATABASE_URL), else `MISO_DATABASE_URL`, else the profile's `databaseUrl`.
 * Undefined means the embedded default: an SQLite file per service.
 */
export function resolveDatabaseUrl(
  service: ServiceName,
  flag: string | undefined,
  profileName?: string,
  store?: ProfileStore,
): { url: string; source: Source } | undefined {
  const envName = `${service.toUpperCase()}_DATABASE_URL`;
  let found: { url: string; source: Source } | undefined;
  if (flag !== undefined) found = { url: flag, source: 'flag' };
  else if (env(envName) !== undefined) found = { url: env(envName)!, source: 'env' };
  else if (env('MISO_DATABASE_URL') !== undefined) found = { url: env('MISO_DATABASE_URL')!, source: 'env' };
  else {
    const profiles = store ?? new ProfileStore();
    const name = profileName ?? env('MISO_PROFILE') ?? profiles.current();
    const url = name ? profiles.get(name)?.databaseUrl : undefined;
    if (url !== undefined) found = { url, source: 'profile' };
  }
  if (found) {
    validateDatabaseUrl(found.url);
    registerSecret(passwordOf(found.url));
  }
  return found;
}

export function validateDatabaseUrl(url: string): void {
  let ok: boolean;
  try {
    const u = new URL(url);
    ok = (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new ConfigError(`malformed database URL "${url.replace(/\/\/[^@/]*@/, '//***@')}"`, {
      hint: 'Expected postgres://user[:password]@host[:port]/database (flag --database-url, <SERVICE>_DATABASE_URL or MISO_DATABASE_URL); `miso db up` starts one on this machine.',
    });
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Where `miso db up` finds PostgreSQL's server programs, when set (MISO_PG_BIN). */
export function localPostgresEnv(): { binDir: string | undefined } {
  return { binDir: env('MISO_PG_BIN') };
}

/** Settings of the local broker that only the environment gives (there are no flags for them). */
export function localBrokerEnv(): { pulsarHome: string | undefined; javaHome: string | undefined; pulsarVersion: string | undefined } {
  return { pulsarHome: env('PULSAR_HOME'), javaHome: env('JAVA_HOME'), pulsarVersion: env('MISO_PULSAR_VERSION') };
}
