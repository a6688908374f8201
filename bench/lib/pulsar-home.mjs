/**
 * The Pulsar distribution the peers run from, found the way `miso broker up` finds it
 * (PULSAR_HOME, else miso's cache under MISO_CACHE_DIR / XDG_CACHE_HOME), never downloading.
 */
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);

export async function pulsarHome() {
  const { resolveDistribution, PULSAR_VERSION } = await import(new URL('broker/distribution.js', dist));
  const { paths, localBrokerEnv } = await import(new URL('config/index.js', dist));
  const env = localBrokerEnv();
  const d = await resolveDistribution({ version: env.pulsarVersion ?? PULSAR_VERSION, pulsarHome: env.pulsarHome, cacheDir: paths.cacheDir(), offline: true });
  if (d.kind !== 'local') throw new Error('the peers need an unpacked Pulsar distribution (bin/pulsar-perf, bin/pulsar-client), not a Docker image');
  return d.home;
}

export const binOf = (home, tool) => join(home, 'bin', tool);
export const libOf = (home) => join(home, 'lib');
