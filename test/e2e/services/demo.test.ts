import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { miso } from '../../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { AdminClient } from '../../../src/pulsar/admin.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `miso demo` as a user runs it: twice in a row, then with --keep. */
describe('miso demo', () => {
  const tenant = uniqueName('demo');
  const dataDir = mkdtempSync(join(tmpdir(), 'miso-demo-'));
  const env = { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-demo-cfg-')), MISO_STATE_DIR: dataDir };
  const args = [
    'demo',
    '--json',
    '--tenant',
    tenant,
    '--service-url',
    TEST_SERVICE_URL,
    '--admin-url',
    TEST_ADMIN_URL,
    '--data-dir',
    dataDir,
    '--views',
    '1',
    '--clicks',
    '1',
    '--conversions',
    '1',
  ];
  const kept: number[] = [];

  afterAll(async () => {
    for (const pid of kept) if (alive(pid)) process.kill(pid, 'SIGTERM');
    await new AdminClient({ adminUrl: TEST_ADMIN_URL }).deleteTenant(tenant, { recursive: true }).catch(() => {});
  });

  it('runs the scripted workflows through four service processes, prints traces and totals, and stops them', async () => {
    const r = await miso(args, { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.complete).toBe(true);
    expect(report.services.map((s: { service: string }) => s.service)).toEqual(['campaign', 'tracking', 'commission', 'payment']);
    // Two videos × (1 view + 1 click + 1 conversion) = six workflows, each the full chain of six messages.
    expect(report.workflows).toHaveLength(6);
    for (const w of report.workflows) expect(w.message_count).toBe(6);
    expect(report.totals.trackingEvents).toEqual({ view: 2, click: 2, conversion: 2 });
    expect(report.totals.payouts).toBe(6);
    expect(report.totals.payoutMinor).toBe(report.totals.commissionMinor);
    expect(report.setup.message_count).toBe(6);
    for (const s of report.services) expect(alive(s.pid)).toBe(false);
  }, 150_000);

  it('a second run works and adds to the same books', async () => {
    const r = await miso(args, { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.complete).toBe(true);
    expect(report.books.payment.paid).toBe(12);
    expect(report.books.campaign.campaigns).toBe(2);
  }, 150_000);

  it('--keep leaves the services running and healthy', async () => {
    const r = await miso([...args, '--keep'], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    for (const s of report.services) kept.push(s.pid);
    for (const s of report.services) {
      expect(alive(s.pid)).toBe(true);
      const h = await fetch(`${s.url}/health`);
      expect(h.status).toBe(200);
    }
  }, 150_000);

  it('human output shows the trees, the totals and the dashboard hint', async () => {
    const human = args.filter((a) => a !== '--json');
    // The services kept by the previous run are found and used again.
    const r = await miso(human, { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/using the services an earlier `miso demo --keep` left running/);
    for (const pid of kept) expect(alive(pid)).toBe(true);
    expect(r.stdout).toMatch(/└─ payment\.processed\.v1/);
    expect(r.stdout).toMatch(/payouts\s+6, \d+\.\d\d USD/);
    expect(r.stdout).toContain(`miso dashboard --tenant ${tenant}`);
  }, 150_000);
});
