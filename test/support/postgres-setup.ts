import { dbUp, probe } from '../../src/services/store/local-postgres.js';
import { TEST_DATABASE_URL } from './postgres.js';

/**
 * One PostgreSQL per test run, beside the broker. One that answers (a developer's `miso db up`,
 * MISO_TEST_DATABASE_URL, or the one a previous run started) is reused; otherwise the local
 * server of `miso db up` is started. It is left running, like a developer's: tests use their
 * own random schemas, and starting it again costs more than keeping it (`miso db down` stops it).
 */
export default async function setup(): Promise<void> {
  if (await probe(TEST_DATABASE_URL)) return;
  if (process.env.MISO_TEST_DATABASE_URL) throw new Error(`MISO_TEST_DATABASE_URL=${process.env.MISO_TEST_DATABASE_URL} does not answer`);
  await dbUp();
}
