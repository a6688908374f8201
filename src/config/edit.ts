import { PROFILE_KEYS, type ProfileKey, type ProfileSettings } from './profiles.js';
import { mask } from './secrets.js';
import { validateAdminUrl, validateDatabaseUrl, validateServiceUrl } from './index.js';
import { UsageError } from '../errors.js';

/** `service-url`, `serviceUrl` and `service_url` all name the same setting. */
export function profileKey(input: string): ProfileKey {
  const camel = input.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
  const key = PROFILE_KEYS.find((k) => k.toLowerCase() === camel.toLowerCase());
  if (!key) throw new UsageError(`unknown setting "${input}"`, { hint: `Settings: ${PROFILE_KEYS.join(', ')}.` });
  return key;
}

/** Parse and check a value typed on the command line for a setting. */
export function parseSetting(key: ProfileKey, value: string): ProfileSettings[ProfileKey] {
  switch (key) {
    case 'serviceUrl':
      validateServiceUrl(value);
      return value;
    case 'adminUrl':
      validateAdminUrl(value);
      return value;
    case 'databaseUrl':
      validateDatabaseUrl(value);
      return value;
    case 'tlsAllowInsecure':
      if (!/^(true|false)$/.test(value)) throw new UsageError(`${key} is true or false, got "${value}"`);
      return value === 'true';
    case 'retentionMinutes':
    case 'retentionSizeMb': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < -1) throw new UsageError(`${key} is a whole number (-1 for unlimited), got "${value}"`);
      return n;
    }
    default:
      return value;
  }
}

/** A profile as it may be shown: the token masked. */
export function showable(p: ProfileSettings): Record<string, unknown> {
  return { ...p, ...(p.token !== undefined ? { token: mask(p.token) } : {}) };
}
