import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso } from '../../support/cli.js';
import { freePorts } from '../../support/ports.js';
import { portFree } from '../../../src/broker/local.js';

describe('miso broker up | status | down', () => {
  it('starts a real broker, reports it, refuses nothing on a second up, and frees the ports on down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-broker-'));
    const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
    const [port, webPort] = (await freePorts(2)) as [number, number];
    const up = await miso(['broker', 'up', '--port', String(port), '--web-port', String(webPort), '--heap-mb', '256'], { env, timeoutMs: 240_000 });
    try {
      expect(up.stderr + up.stdout).toMatch(/ready in/);
      expect(up.code).toBe(0);
      expect(up.stdout).toContain(`pulsar://127.0.0.1:${port}`);
      expect(up.stdout).toContain(`http://127.0.0.1:${webPort}`);
      // broker up runs init: the tenant's eight topics exist and auto-creation is off there.
      expect(up.stdout).toMatch(/init\s+miso-1-2025\/default: \d+ created/);
      const topics = (await (await fetch(`http://127.0.0.1:${webPort}/admin/v2/persistent/miso-1-2025/default`)).json()) as string[];
      expect(topics).toEqual(expect.arrayContaining(['persistent://miso-1-2025/default/campaign-commands', 'persistent://miso-1-2025/default/payment-events']));

      const status = await miso(['broker', 'status', '--json'], { env });
      const s = JSON.parse(status.stdout);
      expect(s).toMatchObject({ running: true, ready: true, version: '4.0.8', ports: { service: port, web: webPort } });
      expect(s.dataBytes).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${webPort}/admin/v2/clusters`);
      expect(await res.json()).toContain('standalone');

      const again = await miso(['broker', 'up', '--port', String(port), '--web-port', String(webPort)], { env });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/already running/);

      const profile = await miso(['config', 'get', 'serviceUrl', '--json'], { env });
      expect(JSON.parse(profile.stdout)).toMatchObject({ value: `pulsar://127.0.0.1:${port}`, source: 'profile' });
    } finally {
      const down = await miso(['broker', 'down'], { env, timeoutMs: 120_000 });
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(/stopped the broker/);
    }
    expect(await portFree(port)).toBe(true);
    expect(await portFree(webPort)).toBe(true);
    const after = JSON.parse((await miso(['broker', 'status', '--json'], { env })).stdout);
    expect(after.running).toBe(false);
  }, 420_000); // a start on a busy machine takes over a minute; `broker up` waits up to 240 s and `down` up to 120 s

  it('--secure starts TLS and token authentication, writes a profile that uses them, and refuses a bad token in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-secure-'));
    const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
    const [port, webPort] = (await freePorts(2)) as [number, number];
    const [tlsPort, webTlsPort] = (await freePorts(2)) as [number, number];
    const up = await miso(
      [
        'broker',
        'up',
        '--secure',
        '--port',
        String(port),
        '--web-port',
        String(webPort),
        '--tls-port',
        String(tlsPort),
        '--web-tls-port',
        String(webTlsPort),
        '--heap-mb',
        '256',
        '--json',
      ],
      { env, timeoutMs: 240_000 },
    );
    try {
      expect(up.code, up.stderr).toBe(0);
      const r = JSON.parse(up.stdout);
      expect(r.serviceUrl).toBe(`pulsar+ssl://127.0.0.1:${tlsPort}`);
      expect(r.adminUrl).toBe(`https://127.0.0.1:${webTlsPort}`);
      expect(r.init.ok).toBe(true);

      // The profile alone (TLS CA + admin token) is enough for every check.
      const doctor = await miso(['doctor'], { env });
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
      expect(doctor.stdout).toMatch(/TLS ok/);
      expect(doctor.stdout).toMatch(/CONNECT accepted with the token/);

      // Without credentials the admin API answers 401.
      const anon = await fetch(`http://127.0.0.1:${webPort}/admin/v2/tenants`);
      expect(anon.status).toBe(401);

      const wrong = await miso(['init', '--token', 'not-a-valid-token-at-all'], { env });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toMatch(/refused the credentials .*401/);
      for (const out of [up.stdout, up.stderr, doctor.stdout, doctor.stderr, wrong.stdout, wrong.stderr]) {
        expect(out).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/); // no whole JWT anywhere
      }
    } finally {
      await miso(['broker', 'down'], { env, timeoutMs: 120_000 });
    }
    expect(await portFree(tlsPort)).toBe(true);
  }, 420_000); // a start on a busy machine takes over a minute; `broker up` waits up to 240 s and `down` up to 120 s

  it('reports a broker that is not running in one line with a next step', async () => {
    const r = await miso(['init', '--admin-url', 'http://127.0.0.1:1', '--service-url', 'pulsar://127.0.0.1:1'], {
      env: { MISO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'miso-e2e-')) },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach the Pulsar admin API at http:\/\/127.0.0.1:1 .*— Start it with `miso broker up`/);
  });

  it('refuses to start on a port another process holds, with the cause and a next step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-broker-'));
    const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const taken = (srv.address() as { port: number }).port;
    try {
      const r = await miso(['broker', 'up', '--port', String(taken), '--web-port', String(taken + 1)], { env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`port ${taken} \\(Pulsar binary\\) is taken by another process — .*--port`));
    } finally {
      srv.close();
    }
  });
});
