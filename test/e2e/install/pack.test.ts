// `npm pack` must give a package that installs and runs like any CLI: the tarball holds what
// miso needs at run time (launcher, compiled code, oclif manifest, Avro schemas) and no
// sources or tests, and a global install of it runs `miso` from its own bin link, also when
// the Node that starts it is older than miso needs. There the launcher turns to the Node 24
// of its optional dependency `node`, whose install script fetches a 120 MB binary: the test
// installs with --ignore-scripts and puts the Node running this test in that binary's place,
// which keeps it short and still runs the launcher on the layout a global install makes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'miso-pack-'));
const prefix = join(work, 'global');
const SYSTEM_NODE = '/usr/bin/node';

// npm passes its settings to scripts as npm_config_*; the inner npm must not inherit the
// outer run's (a --prefix or --global of `npm test` would redirect the install).
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const npm = (args: string[]) => execFileSync('npm', args, { cwd: root, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let files: string[] = [];

beforeAll(() => {
  // The package is packed from the build `npm test` has just made; without it there is nothing to test.
  for (const built of ['dist/cli/main.js', 'oclif.manifest.json']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work])) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  npm(['install', '--global', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed!.filename)]);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed CLI', () => {
  it('holds what miso runs on and nothing of its sources or tests', () => {
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'bin/miso.js', 'dist/cli/main.js', 'oclif.manifest.json', 'schemas/envelopes/campaign-commands.avsc']),
    );
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f))).toEqual([]);
  });

  it('runs from its global bin link: --version, --help and a command that reads the packed schemas', () => {
    const bin = join(prefix, 'bin', 'miso');
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...npmEnv, NO_COLOR: '1' } });
    const version = run(['--version']);
    expect(version.stderr).toBe('');
    expect(version.stdout).toMatch(/^miso\/\d+\.\d+\.\d+ /);
    expect(run(['--help']).stdout).toMatch(/broker\s+run a real Apache Pulsar standalone/);
    const list = run(['schemas', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('campaign.create');
  });

  // Node 20 is what these machines ship: the case the optional Node 24 exists for.
  const systemMajor = existsSync(SYSTEM_NODE) ? Number(execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) : 0;
  it.skipIf(!(systemMajor > 0 && systemMajor < 22))(
    'started by an older Node: says in one line what to do without Node 24, and re-launches under the Node 24 it finds',
    () => {
      const bin = join(prefix, 'bin', 'miso');
      const pinned = join(prefix, 'lib', 'node_modules', 'miso', 'node_modules', 'node', 'bin', 'node');
      expect(existsSync(pinned)).toBe(false);
      const r = spawnSync(SYSTEM_NODE, [bin, '--version'], { encoding: 'utf8', env: npmEnv });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/needs Node 22 or newer, this is v\d+.*Install Node 24, or reinstall miso with its optional dependencies/);

      mkdirSync(join(pinned, '..'), { recursive: true });
      symlinkSync(process.execPath, pinned);
      const relaunched = spawnSync(SYSTEM_NODE, [bin, '--version'], { encoding: 'utf8', env: npmEnv });
      expect(relaunched.stderr).toBe('');
      expect(relaunched.status).toBe(0);
      expect(relaunched.stdout).toContain(`node-${process.version}`);
    },
  );
});
