import Conf from 'conf';
import { chmodSync, existsSync } from 'node:fs';
import { paths } from './paths.js';
import { ConfigError, UsageError } from '../errors.js';

/** Settings a profile may hold. All optional: what a profile leaves out falls to the defaults. */
export interface ProfileSettings {
  serviceUrl?: string;
  adminUrl?: string;
  token?: string;
  tokenFile?: string;
  tenant?: string;
  namespace?: string;
  tlsTrustCertsFile?: string;
  tlsAllowInsecure?: boolean;
  retentionMinutes?: number;
  retentionSizeMb?: number;
  /** The services' PostgreSQL database (unset: each service keeps an SQLite file). */
  databaseUrl?: string;
}

export const PROFILE_KEYS = [
  'serviceUrl',
  'adminUrl',
  'token',
  'tokenFile',
  'tenant',
  'namespace',
  'tlsTrustCertsFile',
  'tlsAllowInsecure',
  'retentionMinutes',
  'retentionSizeMb',
  'databaseUrl',
] as const satisfies readonly (keyof ProfileSettings)[];
export type ProfileKey = (typeof PROFILE_KEYS)[number];

interface Store {
  current?: string;
  profiles: Record<string, ProfileSettings>;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Profiles on disk (`conf`), in one JSON file kept at mode 0600 because it may hold tokens. */
export class ProfileStore {
  private readonly conf: Conf<Store>;

  constructor(dir = paths.configDir()) {
    this.conf = new Conf<Store>({
      projectName: 'miso',
      projectSuffix: '',
      cwd: dir,
      configName: 'config',
      configFileMode: 0o600,
      defaults: { profiles: {} },
    });
    // conf sets the mode on files it creates; an older file keeps its mode, so tighten it.
    if (existsSync(this.conf.path)) chmodSync(this.conf.path, 0o600);
  }

  get path(): string {
    return this.conf.path;
  }

  current(): string | undefined {
    return this.conf.get('current');
  }

  names(): string[] {
    return Object.keys(this.conf.get('profiles'));
  }

  get(name: string): ProfileSettings | undefined {
    return this.conf.get('profiles')[name];
  }

  /** Replace or merge a profile's settings. */
  put(name: string, settings: ProfileSettings, opts: { merge?: boolean } = {}): void {
    if (!PROFILE_NAME.test(name)) {
      throw new UsageError(`"${name}" is not a valid profile name`, { hint: 'Use letters, digits, ".", "_" or "-".' });
    }
    const profiles = { ...this.conf.get('profiles') };
    const base = opts.merge ? (profiles[name] ?? {}) : {};
    const merged: ProfileSettings = { ...base, ...settings };
    for (const k of Object.keys(merged) as ProfileKey[]) if (merged[k] === undefined) delete merged[k];
    profiles[name] = merged;
    this.conf.set('profiles', profiles);
  }

  unset(name: string, key: ProfileKey): void {
    const p = this.require(name);
    const next = { ...p };
    delete next[key];
    this.put(name, next);
  }

  use(name: string): void {
    this.require(name);
    this.conf.set('current', name);
  }

  delete(name: string): void {
    this.require(name);
    const profiles = { ...this.conf.get('profiles') };
    delete profiles[name];
    this.conf.set('profiles', profiles);
    if (this.current() === name) this.conf.delete('current');
  }

  require(name: string): ProfileSettings {
    const p = this.get(name);
    if (!p) {
      const known = this.names();
      throw new ConfigError(`no profile named "${name}"`, {
        hint: known.length
          ? `Known profiles: ${known.join(', ')}. Create one with \`miso config set ${name} <key> <value>\`.`
          : 'Run `miso broker up` to create the "local" profile, or `miso config set <profile> serviceUrl <url>`.',
      });
    }
    return p;
  }
}
