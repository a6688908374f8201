import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { miso } from '../../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { SqliteStore } from '../../../src/services/store/sqlite.js';

/** `miso run`, `miso dlq` and `miso demo` refuse bad input with one line and a non-zero exit. */
describe('bad input to the service commands', () => {
  const env = { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-bad-cfg-')), MISO_STATE_DIR: mkdtempSync(join(tmpdir(), 'miso-bad-state-')) };
  const oneLine = (stderr: string) => expect(stderr.trim().split('\n'), stderr).toHaveLength(1);

  it.each([
    [['run', 'billing'], 2, /one of: campaign, tracking, commission, payment, all/],
    [['run', 'all', '--db', 'x.db'], 2, /--db names the database of one service.*--data-dir/],
    [['run', 'payment', '--payout-failure-rate', 'lots'], 2, /--payout-failure-rate must be a number from 0 to 1, got "lots"/],
    [['run', 'campaign', '--fail-next', '2'], 2, /payment service settings/],
    [['run', 'campaign', '--mode', 'fast'], 2, /--mode=fast to be one of: http, event, hybrid/],
    [['dlq', 'replay', 'abc', '--all'], 2, /an id or --all, not both/],
    [['demo', '--payout-failure-rate', '2'], 2, /from 0 to 1/],
  ])('miso %j', async (args, code, message) => {
    const r = await miso(args as string[], { env });
    expect(r.code).toBe(code);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(message);
  });

  it('a mode from the environment that is not one', async () => {
    const r = await miso(['run', 'campaign'], { env: { ...env, CAMPAIGN_SERVICE_MODE: 'turbo' } });
    expect(r.code).not.toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/CAMPAIGN_SERVICE_MODE="turbo" is not a service mode/);
  });

  it('no broker: says so and how to start one', async () => {
    const r = await miso(['run', 'campaign', '--service-url', 'pulsar://127.0.0.1:1', '--port', '0'], { env });
    expect(r.code).not.toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/cannot reach the broker.*miso broker up/);
  });

  it('a tenant without topics: points to miso init', async () => {
    const r = await miso(
      ['run', 'payment', '--tenant', uniqueName('noinit'), '--service-url', TEST_SERVICE_URL, '--admin-url', TEST_ADMIN_URL, '--port', '0'],
      { env },
    );
    expect(r.code).not.toBe(0);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/does not exist.*miso init/);
  });

  it('a second instance on the same database is refused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'miso-bad-db-'));
    // This test process holds the campaign database, as a running `miso run campaign` would.
    const held = new SqliteStore({ file: join(dataDir, 'campaign.db'), migrations: [], repo: () => ({}) });
    try {
      const r = await miso(['run', 'campaign', '--data-dir', dataDir, '--port', '0', '--service-url', 'pulsar://127.0.0.1:1'], { env });
      expect(r.code).not.toBe(0);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`campaign\\.db is in use by process ${process.pid}.*--db`));
    } finally {
      await held.close();
    }
  });
});
