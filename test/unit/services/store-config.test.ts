import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileStore, redact, resolveDatabaseUrl } from '../../../src/config/index.js';
import { parseSetting } from '../../../src/config/edit.js';
import { ConfigError } from '../../../src/errors.js';

/** Which database a service uses: flag > <SERVICE>_DATABASE_URL > MISO_DATABASE_URL > profile > SQLite. */
const KEYS = ['PAYMENT_DATABASE_URL', 'CAMPAIGN_DATABASE_URL', 'MISO_DATABASE_URL', 'MISO_PROFILE'];

describe('database URL setting', () => {
  let store: ProfileStore;
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    store = new ProfileStore(mkdtempSync(join(tmpdir(), 'miso-dbcfg-')));
    for (const k of KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('is unset by default: the services keep their SQLite files', () => {
    expect(resolveDatabaseUrl('payment', undefined, undefined, store)).toBeUndefined();
  });

  it('ranks the flag over the service variable over MISO_DATABASE_URL over the profile', () => {
    store.put('p', { databaseUrl: 'postgres://h/profile' });
    expect(resolveDatabaseUrl('payment', undefined, 'p', store)).toEqual({ url: 'postgres://h/profile', source: 'profile' });
    process.env.MISO_DATABASE_URL = 'postgres://h/all';
    expect(resolveDatabaseUrl('payment', undefined, 'p', store)).toEqual({ url: 'postgres://h/all', source: 'env' });
    process.env.PAYMENT_DATABASE_URL = 'postgres://h/payment';
    expect(resolveDatabaseUrl('payment', undefined, 'p', store)?.url).toBe('postgres://h/payment');
    expect(resolveDatabaseUrl('campaign', undefined, 'p', store)?.url).toBe('postgres://h/all');
    expect(resolveDatabaseUrl('payment', 'postgres://h/flag', 'p', store)).toEqual({ url: 'postgres://h/flag', source: 'flag' });
  });

  it('refuses a URL that is not postgres://, without echoing its password', () => {
    let err: unknown;
    try {
      resolveDatabaseUrl('payment', 'mysql://u:hunter2@h/db', undefined, store);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as ConfigError).hint).toContain('miso db up');
    expect(() => parseSetting('databaseUrl', 'not a url')).toThrow(ConfigError);
  });

  it('masks the password of a database URL wherever it is printed', () => {
    resolveDatabaseUrl('payment', 'postgres://u:s3cret-pw@h/db', undefined, store);
    expect(redact('connecting with s3cret-pw')).not.toContain('s3cret-pw');
  });
});
