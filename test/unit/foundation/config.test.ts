import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, resolveServiceMode, ProfileStore, DEFAULTS, mask, redact, registerSecret } from '../../../src/config/index.js';
import { profileKey, parseSetting } from '../../../src/config/edit.js';
import { ConfigError, UsageError } from '../../../src/errors.js';

const ENV_KEYS = [
  'PULSAR_SERVICE_URL',
  'PULSAR_ADMIN_URL',
  'PULSAR_TOKEN',
  'PULSAR_TOKEN_FILE',
  'PULSAR_TENANT',
  'PULSAR_NAMESPACE',
  'MISO_PROFILE',
  'CAMPAIGN_SERVICE_MODE',
];

describe('configuration resolver', () => {
  let store: ProfileStore;
  let dir: string;
  const saved: Record<string, string | undefined> = {};

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'miso-config-'));
    store = new ProfileStore(dir);
    for (const k of ENV_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('falls back to the local broker defaults', () => {
    const c = resolveConfig({}, store);
    expect(c.serviceUrl).toBe(DEFAULTS.serviceUrl);
    expect(c.adminUrl).toBe(DEFAULTS.adminUrl);
    expect(c.tenant).toBe('miso-1-2025');
    expect(c.namespace).toBe('default');
    expect(c.token).toBeUndefined();
    expect(c.sources.serviceUrl).toBe('default');
  });

  it('ranks flags over environment over profile over defaults', () => {
    store.put('staging', { serviceUrl: 'pulsar://profile-host:6650', tenant: 'from-profile', namespace: 'ns-profile' });
    store.use('staging');
    process.env.PULSAR_SERVICE_URL = 'pulsar://env-host:6650';
    process.env.PULSAR_TENANT = 'from-env';
    const c = resolveConfig({ serviceUrl: 'pulsar://flag-host:6650' }, store);
    expect(c.serviceUrl).toBe('pulsar://flag-host:6650');
    expect(c.sources.serviceUrl).toBe('flag');
    expect(c.tenant).toBe('from-env');
    expect(c.sources.tenant).toBe('env');
    expect(c.namespace).toBe('ns-profile');
    expect(c.sources.namespace).toBe('profile');
    expect(c.adminUrl).toBe(DEFAULTS.adminUrl);
    expect(c.profile).toBe('staging');
  });

  it('--profile selects a profile for one command without switching the default', () => {
    store.put('a', { tenant: 'ta' });
    store.put('b', { tenant: 'tb' });
    store.use('a');
    expect(resolveConfig({ profile: 'b' }, store).tenant).toBe('tb');
    expect(store.current()).toBe('a');
    expect(resolveConfig({}, store).tenant).toBe('ta');
  });

  it('reads the token from a token file and registers it as a secret', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'eyJhbGciOiJIUzI1NiJ9.secret-token-body.sig\n');
    const c = resolveConfig({ tokenFile: file }, store);
    expect(c.token).toBe('eyJhbGciOiJIUzI1NiJ9.secret-token-body.sig');
    expect(redact(`Authorization: Bearer ${c.token}`)).not.toContain('secret-token-body');
  });

  it('reports an unknown profile, a malformed URL and a missing token file as config errors', () => {
    expect(() => resolveConfig({ profile: 'nope' }, store)).toThrow(ConfigError);
    expect(() => resolveConfig({ serviceUrl: 'http://localhost:6650' }, store)).toThrow(/malformed service URL/);
    expect(() => resolveConfig({ adminUrl: 'localhost:8080' }, store)).toThrow(/malformed admin URL/);
    expect(() => resolveConfig({ tokenFile: join(dir, 'missing') }, store)).toThrow(/cannot read token file/);
  });

  it('keeps the profile file at mode 0600 because it may hold tokens', () => {
    store.put('remote', { token: 'abcdefghijklmnop' });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).profiles.remote.token).toBe('abcdefghijklmnop');
  });

  it('deletes profiles and clears the default when it was the deleted one', () => {
    store.put('x', { tenant: 't' });
    store.use('x');
    store.delete('x');
    expect(store.current()).toBeUndefined();
    expect(store.names()).toEqual([]);
  });

  it('resolves <SERVICE>_SERVICE_MODE and rejects unknown modes', () => {
    expect(resolveServiceMode('campaign', undefined)).toBe('event');
    process.env.CAMPAIGN_SERVICE_MODE = 'hybrid';
    expect(resolveServiceMode('campaign', undefined)).toBe('hybrid');
    expect(resolveServiceMode('campaign', 'http')).toBe('http');
    process.env.CAMPAIGN_SERVICE_MODE = 'batch';
    expect(() => resolveServiceMode('campaign', undefined)).toThrow(/not a service mode/);
  });

  it('names settings in any case style and checks their values', () => {
    expect(profileKey('service-url')).toBe('serviceUrl');
    expect(profileKey('tls_allow_insecure')).toBe('tlsAllowInsecure');
    expect(() => profileKey('colour')).toThrow(UsageError);
    expect(parseSetting('retentionMinutes', '60')).toBe(60);
    expect(() => parseSetting('retentionMinutes', 'soon')).toThrow(UsageError);
  });
});

describe('secrets', () => {
  it('masks a token so that it can be told apart but not used', () => {
    const t = 'eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnopqrstuvwxyz.0123456789';
    expect(mask(t)).toBe(`eyJh…(redacted, ${t.length} chars)`);
    registerSecret(t);
    expect(redact(`token=${t} and again ${t}`)).toBe(`token=${mask(t)} and again ${mask(t)}`);
  });
});
