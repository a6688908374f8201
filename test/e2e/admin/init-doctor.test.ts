import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso } from '../../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';
import { AdminClient } from '../../../src/pulsar/admin.js';

const tenant = uniqueName('tenant');
const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-admin-'));
// No profile, the test broker's URLs through the environment, as a user would set them.
const env = {
  MISO_CONFIG_DIR: join(dir, 'config'),
  MISO_STATE_DIR: join(dir, 'state'),
  PULSAR_SERVICE_URL: TEST_SERVICE_URL,
  PULSAR_ADMIN_URL: TEST_ADMIN_URL,
};

afterAll(async () => {
  await new AdminClient({ adminUrl: TEST_ADMIN_URL }).deleteTenant(tenant, { recursive: true }).catch(() => undefined);
});

describe('miso init and miso doctor as a process', () => {
  it('doctor before init: fails on the missing tenant with the fix, exit 1', async () => {
    const r = await miso(['doctor', '--tenant', tenant], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✔ admin API\s+http:\/\/127\.0\.0\.1:\d+ answers/m);
    expect(r.stdout).toMatch(/^✔ binary port\s+pulsar:\/\/127\.0\.0\.1:\d+ accepts TCP connections/m);
    expect(r.stdout).toMatch(new RegExp(`^✖ tenant\\s+tenant ${tenant} does not exist`, 'm'));
    expect(r.stdout).toMatch(/→ Run `miso init` to create it\./);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^miso: doctor found 1 problem/);
  });

  it('init --json creates everything and prints the report; a second run finds it all', async () => {
    const first = await miso(['init', '--tenant', tenant, '--retention-minutes', '90', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as {
      ok: boolean;
      tenant: string;
      steps: { name: string; status: string; detail?: string }[];
      counts: Record<string, number>;
    };
    expect(report.ok).toBe(true);
    expect(report.tenant).toBe(tenant);
    expect(report.counts.created).toBe(19);
    expect(report.steps.find((s) => s.name === 'retention')).toMatchObject({ status: 'created', detail: '90 min, 1024 MB' });

    const second = await miso(['init', '--tenant', tenant, '--retention-minutes', '90'], { env });
    expect(second.code).toBe(0);
    const lines = second.stdout.trim().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('· '))).toBe(true);
    expect(lines).toHaveLength(20);
    expect(lines.at(-1)).toMatch(/^Ready: .* 0 created, 0 updated, 19 already in place\.$/);
  });

  it('doctor after init: every check passes, schemas are only warnings, exit 0', async () => {
    const r = await miso(['doctor', '--tenant', tenant], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const name of [
      'config',
      'token',
      'admin API',
      'binary port',
      'broker handshake',
      'authentication',
      'tenant',
      'namespace',
      'deduplication',
      'schema compatibility',
      'auto topic creation',
      'topics',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^✔ ${name}\\s`, 'm'));
    }
    expect(r.stdout).toMatch(/^! retention\s+90 min, 1024 MB \(config says 7 d, 1024 MB\)/m);
    expect(r.stdout).toMatch(/^! schema campaign-commands\s+none registered yet/m);
    expect(r.stdout).toMatch(/^All good: \d+ ok, \d+ warning\(s\)\.$/m);

    const json = await miso(['doctor', '--tenant', tenant, '--json'], { env });
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name === 'topics')?.status).toBe('ok');
  });

  it('init against a broker that is not there: one line, exit 1, nothing half-done', async () => {
    const r = await miso(['init', '--tenant', tenant, '--admin-url', 'http://127.0.0.1:1'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      'miso: cannot reach the Pulsar admin API at http://127.0.0.1:1 (connection refused) — Start it with `miso broker up` or check --admin-url.',
    );
  });

  it('init with a bad flag value: a usage error', async () => {
    const r = await miso(['init', '--retention-minutes', 'soon'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
