import { homedir } from 'node:os';
import { join } from 'node:path';
import { env } from './env.js';

/** Where miso keeps things. Each can be moved with an environment variable (tests do). */
export const paths = {
  /** Profiles (config.json, mode 0600 because it may hold tokens). */
  configDir: () => env('MISO_CONFIG_DIR') ?? join(env('XDG_CONFIG_HOME') ?? join(homedir(), '.config'), 'miso'),
  /** Downloads that can be thrown away and fetched again: the Pulsar distribution. */
  cacheDir: () => env('MISO_CACHE_DIR') ?? join(env('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'miso'),
  /** Data that lives across runs: the local broker's data and logs, service databases, TLS material. */
  stateDir: () => env('MISO_STATE_DIR') ?? join(env('XDG_STATE_HOME') ?? join(homedir(), '.local', 'state'), 'miso'),
};
