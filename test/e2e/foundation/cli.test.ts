import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso } from '../../support/cli.js';
import { optionalPeer } from '../../support/peers.js';

function isolated(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-'));
  return { MISO_CONFIG_DIR: join(dir, 'config'), MISO_STATE_DIR: join(dir, 'state') };
}

describe('miso CLI basics', () => {
  it('prints its version and help', async () => {
    const v = await miso(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^miso\/\d+\.\d+\.\d+/);
    const h = await miso(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/broker/);
    const bh = await miso(['broker', 'up', '--help']);
    expect(bh.stdout).toMatch(/--web-port/);
  });

  it.skipIf(!optionalPeer('system Node at /usr/bin/node', existsSync('/usr/bin/node'), 'the re-launch under the pinned Node is shown from a system Node'))(
    'runs when started by the system Node (20 here) by re-launching itself under the pinned Node',
    async () => {
      const r = await miso(['--version'], { node: '/usr/bin/node' });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/node-v(2[2-9]|[3-9]\d)\./);
    },
  );

  it.each([
    [['brokr', 'up'], /unknown command "brokr up" — Did you mean `miso broker up`\?/],
    [['broker', 'up', '--bogus'], /Nonexistent flag: --bogus — Run `miso broker up --help`/],
    [['config', 'get', '--service-url', 'localhost:6650'], /malformed service URL "localhost:6650"/],
    [['config', 'get', '--profile', 'nowhere'], /no profile named "nowhere"/],
    [['config', 'set', 'colour', 'blue', '--profile', 'p'], /unknown setting "colour"/],
    [['config', 'get', '--token-file', '/nonexistent/token'], /cannot read token file/],
  ])('rejects %j with one clear line and a non-zero exit', async (args, message) => {
    const r = await miso(args, { env: isolated() });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('keeps profiles in a 0600 file and never prints a token', async () => {
    const env = isolated();
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.very-secret-signature';
    expect((await miso(['config', 'set', 'token', token, '--profile', 'remote'], { env })).code).toBe(0);
    expect((await miso(['config', 'set', 'serviceUrl', 'pulsar+ssl://broker.example.com:6651', '--profile', 'remote'], { env })).code).toBe(0);
    const list = await miso(['config', 'list', '--json'], { env });
    const get = await miso(['config', 'get', '--verbose'], { env });
    for (const out of [list.stdout, list.stderr, get.stdout, get.stderr]) expect(out).not.toContain('very-secret-signature');
    expect(JSON.parse(list.stdout).profiles[0].settings.token).toMatch(/^eyJh…\(redacted/);
    expect(statSync(join(env.MISO_CONFIG_DIR!, 'config.json')).mode & 0o777).toBe(0o600);
    const where = await miso(['config', 'get', 'serviceUrl', '--json'], { env });
    expect(JSON.parse(where.stdout)).toEqual({ key: 'serviceUrl', value: 'pulsar+ssl://broker.example.com:6651', source: 'profile' });
    const flagWins = await miso(['config', 'get', 'serviceUrl', '--json'], { env: { ...env, PULSAR_SERVICE_URL: 'pulsar://env-host:6650' } });
    expect(JSON.parse(flagWins.stdout).source).toBe('env');
  });
});
