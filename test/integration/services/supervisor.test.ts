import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISO_BIN, miso } from '../../support/cli.js';
import { waitUntil } from '../../support/env.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { freshScope, getJson } from './support.js';

/** `miso run campaign --instances 2`: two processes on one database, one restarted after kill -9. */
describe('miso run --instances', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  const database = `sup_${randomBytes(5).toString('hex')}`;
  const dbUrl = TEST_DATABASE_URL.replace(/\/[^/]*$/, `/${database}`);
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    scope = await freshScope('svc-sup');
    await admin(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await scope?.drop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  });

  it('refuses several instances without a shared database, in one line', async () => {
    const r = await miso(['run', 'campaign', '--instances', '2', ...scope.flags], {
      env: { MISO_DATABASE_URL: undefined, CAMPAIGN_DATABASE_URL: undefined, MISO_CONFIG_DIR: scope.dataDir },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('several instances need a database they share: PostgreSQL');
    expect(r.stderr).toContain('miso db up');
  });

  it('starts two instances with their own ids, restarts one killed with -9, and stops both on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [MISO_BIN, 'run', 'campaign', '--instances', '2', '--port', '0', '--database-url', dbUrl, '--instance-id', 'sup', '--json', ...scope.flags],
      {
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = () =>
        out
          .split('\n')
          .filter((l) => l.includes('"event":"started"'))
          .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { instance_id: string; url: string });
      await waitUntil(() => started().length >= 2, { timeoutMs: 60_000, what: `two started instances\n${out}` });
      expect(new Set(started().map((s) => s.instance_id))).toEqual(new Set(['sup-1', 'sup-2']));
      for (const s of started()) expect((await getJson(`${s.url}/health`)).body).toMatchObject({ status: 'ok', instance_id: s.instance_id });

      const pid = Number(/\[sup-1\] started \(pid (\d+)\)/.exec(out)![1]);
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => out.includes('[sup-1] exited (SIGKILL); starting it again') && started().filter((s) => s.instance_id === 'sup-1').length === 2, {
        timeoutMs: 60_000,
        what: `sup-1 started again\n${out}`,
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
