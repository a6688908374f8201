import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso } from '../../helpers/cli.js';
import { portFree } from '../../../src/broker/local.js';

async function freePortPair(): Promise<[number, number]> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if ((await portFree(p)) && (await portFree(p + 1))) return [p, p + 1];
  }
}

describe('miso broker up | status | down', () => {
  it('starts a real broker, reports it, refuses nothing on a second up, and frees the ports on down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-broker-'));
    const env = { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
    const [port, webPort] = await freePortPair();
    const up = await miso(['broker', 'up', '--port', String(port), '--web-port', String(webPort), '--heap-mb', '256'], { env, timeoutMs: 240_000 });
    try {
      expect(up.stderr + up.stdout).toMatch(/ready in/);
      expect(up.code).toBe(0);
      expect(up.stdout).toContain(`pulsar://127.0.0.1:${port}`);
      expect(up.stdout).toContain(`http://127.0.0.1:${webPort}`);

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
