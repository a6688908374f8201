import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { miso } from '../../support/cli.js';

// Refusals of `broker up --brokers` and multi-host URLs: one line, a non-zero exit, nothing started.
describe('cluster bad input', () => {
  const root = mkdtempSync(join(tmpdir(), 'miso-cluster-bad-'));
  const env = { MISO_STATE_DIR: join(root, 'state'), MISO_CONFIG_DIR: join(root, 'config'), MISO_PROFILE: '', PULSAR_SERVICE_URL: '', PULSAR_ADMIN_URL: '' };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('miso:'));

  it('--brokers 0', async () => {
    const r = await miso(['broker', 'up', '--brokers', '0'], { env });
    expect(r.code).not.toBe(0);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^miso: --brokers must be 2 or more for a cluster \(got 0\)/)]);
    expect(existsSync(join(root, 'state', 'cluster', 'cluster.json'))).toBe(false);
  });

  it('a port of the range already taken: named, and nothing is started', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const taken = (srv.address() as net.AddressInfo).port;
    try {
      // broker-2 would need the taken port (broker-1 gets the one below it).
      const r = await miso(
        ['broker', 'up', '--brokers', '2', '--port', String(taken - 1), '--web-port', '18590', '--zk-port', '12591', '--bookie-port', '13591', '--no-init'],
        { env, timeoutMs: 120_000 },
      );
      expect(r.code).not.toBe(0);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^miso: port ${taken} \\(broker-2 service\\) is taken by another process`))]);
      expect(existsSync(join(root, 'state', 'cluster', 'cluster.json'))).toBe(false);
    } finally {
      srv.close();
    }
  }, 130_000);

  it('a multi-host service URL with a malformed host', async () => {
    const r = await miso(['doctor', '--service-url', 'pulsar://127.0.0.1:6650,bad_host!:6651'], { env });
    expect(r.code).not.toBe(0);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^miso: malformed service URL: "bad_host!:6651" .* has a malformed host/)]);
  });
});
