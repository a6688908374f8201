import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { localDatabaseUrl } from '../../src/services/store/local-postgres.js';

/** The database the tests use; each test works in schemas of its own (`randomSchema`). */
export const TEST_DATABASE_URL = process.env.MISO_TEST_DATABASE_URL ?? localDatabaseUrl();

export function randomSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
}
