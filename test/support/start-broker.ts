import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBroker } from '../../src/broker/local.js';
import { PULSAR_VERSION } from '../../src/broker/distribution.js';
import { paths } from '../../src/config/index.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL } from './env.js';

/**
 * Start the test broker through the same code path as `miso broker up` (distribution from
 * PULSAR_HOME, the cache or Maven Central), with its data in a throw-away directory.
 */
export async function startTestBroker(): Promise<() => Promise<void>> {
  const servicePort = Number(new URL(TEST_SERVICE_URL.replace('pulsar://', 'http://')).port || 6650);
  const webPort = Number(new URL(TEST_ADMIN_URL).port || 8080);
  const broker = new LocalBroker(join(mkdtempSync(join(tmpdir(), 'miso-test-broker-')), 'broker'), paths.cacheDir());
  const t0 = Date.now();
  let last = '';
  await broker.up(
    { servicePort, webPort, heapMb: 768, version: PULSAR_VERSION, pulsarHome: process.env.PULSAR_HOME },
    (text) => {
      const stem = text.replace(/\d+/g, '#');
      if (stem !== last) process.stderr.write(`[test broker] ${text}\n`);
      last = stem;
    },
  );
  process.stderr.write(`[test broker] ready on ${TEST_SERVICE_URL} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return async () => {
    await broker.down();
  };
}
