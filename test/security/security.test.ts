/**
 * The security matrix, run as a user runs miso: against a broker of this file's own started
 * with `miso broker up --secure` (TLS + JWT authentication and authorization) in sandboxed
 * state and config directories.
 *
 *   - every command works with a valid token;
 *   - a missing, forged or expired token, a role without produce (or consume) permission, a CA
 *     that did not sign the broker certificate, no CA at all, and a host name the certificate
 *     does not name each fail with one clear message, a non-zero exit, nothing sent, and no
 *     retry storm: connection attempts are counted by a relay in front of the broker ports;
 *   - the token never appears in any output (--verbose included) nor in a service's log;
 *   - files holding secrets are 0600.
 *
 * Report: test-output/security-matrix.{json,md}.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSecureBroker, signToken } from '../../src/broker/secure.js';
import { AdminClient } from '../../src/pulsar/admin.js';
import { MISO_BIN, type CliResult } from '../support/cli.js';
import { brokerDown, brokerUp, createSandbox, type Sandbox } from '../faults/cluster.js';
import { waitUntil } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { mdTable, writeReport } from '../hostile/report.js';
import { CountingProxy } from './proxy.js';

const TENANT = 'miso-1-2025';
const NAMESPACE = 'default';

let sb: Sandbox;
let tlsPort = 0;
let webTlsPort = 0;
let ca = '';
let tokensDir = '';
let otherCa = '';
let forged = '';
let admin: AdminClient;
const tokens: Record<string, string> = {};
const proxies: Record<'bin' | 'web' | 'binAlt' | 'webAlt', CountingProxy> = {} as never;
/** Every byte miso printed in this file, to scan for tokens at the end. */
const transcripts: { what: string; text: string }[] = [];

interface Row {
  case: string;
  command: string;
  expected: string;
  observed: string;
  exit: number;
  /** Through the counting relays; undefined for commands run on the profile's direct URLs. */
  connections?: { binary: number; admin: number };
  pass: boolean;
}
const matrix: Row[] = [];

async function misoIn(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliResult> {
  const r = await sb.run(args, { env, timeoutMs });
  transcripts.push({ what: `miso ${args.join(' ')}`, text: r.stdout + r.stderr });
  return r;
}

beforeAll(async () => {
  sb = await createSandbox('security', { tenant: TENANT, namespace: NAMESPACE });
  tlsPort = await freePort();
  webTlsPort = await freePort();
  // `broker up --secure` makes the CA, certificate and tokens, points the local profile at the
  // TLS ports with the admin token, and runs `miso init` through them.
  const up = await brokerUp(sb, ['--secure', '--tls-port', String(tlsPort), '--web-tls-port', String(webTlsPort)]);
  transcripts.push({ what: 'miso broker up --secure --json', text: JSON.stringify(up.json) });
  const secure = up.json.secure as { caFile: string; tokensDir: string };
  ca = secure.caFile;
  tokensDir = secure.tokensDir;
  for (const name of ['admin', 'producer-only', 'no-permission', 'expired']) tokens[name] = readFileSync(join(tokensDir, `${name}.jwt`), 'utf8').trim();
  expect((up.json.init as { ok: boolean }).ok).toBe(true);

  // A CA of another installation, and a token signed with another secret.
  const other = await prepareSecureBroker(join(sb.root, 'other-ca'));
  otherCa = other.caFile;
  forged = signToken(Buffer.from('not the broker secret, not at all'), { sub: 'admin' });

  admin = new AdminClient({ adminUrl: `https://127.0.0.1:${webTlsPort}`, token: tokens.admin, tlsTrustCertsFile: ca });
  // Roles for the permission cases: one may only publish, the other may only read.
  await admin.grantPermission({ tenant: TENANT, namespace: NAMESPACE }, 'producer-only', ['produce']);
  await admin.grantPermission({ tenant: TENANT, namespace: NAMESPACE }, 'no-permission', ['consume']);

  proxies.bin = await new CountingProxy('127.0.0.1', { host: '127.0.0.1', port: tlsPort }).start();
  proxies.web = await new CountingProxy('127.0.0.1', { host: '127.0.0.1', port: webTlsPort }).start();
  // 127.0.0.2 reaches the same broker, but the certificate names only localhost, 127.0.0.1 and ::1.
  proxies.binAlt = await new CountingProxy('127.0.0.2', { host: '127.0.0.1', port: tlsPort }).start();
  proxies.webAlt = await new CountingProxy('127.0.0.2', { host: '127.0.0.1', port: webTlsPort }).start();
}, 300_000);

afterAll(async () => {
  for (const p of Object.values(proxies)) await p?.close();
  if (sb) {
    await brokerDown(sb).catch(() => {});
    writeMatrix();
    sb.remove();
  }
});

function writeMatrix(): void {
  writeReport(
    'security-matrix',
    { broker: { tlsPort, webTlsPort }, rows: matrix },
    [
      '# Security matrix',
      '',
      'Against `miso broker up --secure` (TLS on both ports, JWT authentication and authorization) in a sandbox of its own.',
      'Reproduce: `npx vitest run test/security`. "connections": TCP connections the command opened to the binary / admin TLS port (counted by a relay in front of each).',
      '',
      mdTable(
        ['case', 'command', 'expected', 'observed', 'exit', 'connections (binary/admin)', 'pass'],
        matrix.map((r) => [
          r.case,
          r.command,
          r.expected,
          r.observed,
          r.exit,
          r.connections ? `${r.connections.binary}/${r.connections.admin}` : '—',
          r.pass ? 'yes' : 'NO',
        ]),
      ),
    ].join('\n'),
  );
}

/** Connection flags through the counting relays, with no profile behind them. */
function via(opts: { token?: string; tokenFile?: string; ca?: string | null; alt?: boolean } = {}): string[] {
  const host = opts.alt ? '127.0.0.2' : '127.0.0.1';
  const flags = [
    '--service-url',
    `pulsar+ssl://${host}:${(opts.alt ? proxies.binAlt : proxies.bin).port}`,
    '--admin-url',
    `https://${host}:${(opts.alt ? proxies.webAlt : proxies.web).port}`,
    '--tenant',
    TENANT,
    '--namespace',
    NAMESPACE,
  ];
  if (opts.ca !== null) flags.push('--tls-trust-certs', opts.ca ?? ca);
  if (opts.token) flags.push('--token', opts.token);
  if (opts.tokenFile) flags.push('--token-file', opts.tokenFile);
  return flags;
}

/** A config directory with no profile: only the flags count. */
function bare(): Record<string, string> {
  const dir = join(sb.root, 'bare-config');
  mkdirSync(dir, { recursive: true });
  return { MISO_CONFIG_DIR: dir };
}

async function campaignCommandsIn(): Promise<number> {
  const stats = await admin.topicStats(`persistent://${TENANT}/${NAMESPACE}/campaign-commands`);
  return stats.msgInCounter;
}

async function messagesOnCampaignCommands(): Promise<number> {
  // msgInCounter resets when the topic is unloaded; the stored count is what matters.
  const { PulsarClient } = await import('../../src/pulsar/index.js');
  const client = new PulsarClient({ serviceUrl: `pulsar+ssl://127.0.0.1:${tlsPort}`, token: tokens.admin, tlsTrustCertsFile: ca });
  try {
    const reader = await client.createReader({ topic: `persistent://${TENANT}/${NAMESPACE}/campaign-commands`, start: 'earliest' });
    let n = 0;
    while (await reader.hasMessageAvailable()) if (await reader.readNext(5000)) n++;
    await reader.close();
    return n;
  } finally {
    await client.close();
  }
}

const SEND = ['send', 'campaign.create', '--data', '{"user_id":"sec-user","name":"Security"}', '--verbose'];
const TAIL = ['tail', 'campaign-commands', '--no-follow', '--from', 'earliest', '--limit', '1', '--verbose'];
const ADMIN = ['schemas', 'check', '--verbose'];

/** The error line miso printed (verbose mode adds `[debug]` lines and the cause under it). */
function errorLine(stderr: string): string {
  return stderr.split('\n').find((l) => l.startsWith('miso: ')) ?? '';
}

/** Run a command that must be refused; record the row; assert the refusal. */
async function refused(c: {
  case: string;
  args: string[];
  flags: string[];
  expect: RegExp;
  expected: string;
  maxBinary: number;
  maxAdmin: number;
}): Promise<void> {
  proxies.bin.take();
  proxies.web.take();
  proxies.binAlt.take();
  proxies.webAlt.take();
  const sends = c.args[0] === 'send';
  const before = sends ? await messagesOnCampaignCommands() : 0;
  const r = await misoIn([...c.args, ...c.flags], bare(), 60_000);
  const binary = proxies.bin.take() + proxies.binAlt.take();
  const adminConns = proxies.web.take() + proxies.webAlt.take();
  const line = errorLine(r.stderr);
  const after = sends ? await messagesOnCampaignCommands() : 0;
  const row: Row = {
    case: c.case,
    command: `miso ${c.args
      .filter((a) => !a.startsWith('-') && !a.startsWith('{'))
      .slice(0, 2)
      .join(' ')}`,
    expected: c.expected,
    observed: line
      .replace(/^miso: /, '')
      .split(' — ')[0]!
      .slice(0, 140),
    exit: r.code,
    connections: { binary, admin: adminConns },
    pass: false,
  };
  matrix.push(row);
  expect(r.code, r.stderr).not.toBe(0);
  // Exactly one error line: what is wrong — what to do. Not a bug report with a stack.
  expect(
    r.stderr.split('\n').filter((l) => l.startsWith('miso: ')),
    r.stderr,
  ).toHaveLength(1);
  expect(line).not.toMatch(/internal error/);
  expect(line).toMatch(c.expect);
  expect(line).toMatch(/ — \S/);
  expect(r.stdout.trim()).toBe('');
  // No retry storm: the relays count every TCP connection the command opened.
  expect(binary, 'binary connections').toBeLessThanOrEqual(c.maxBinary);
  expect(adminConns, 'admin connections').toBeLessThanOrEqual(c.maxAdmin);
  expect(after, 'nothing sent').toBe(before);
  row.pass = true;
}

describe('secure broker: every command with a valid token (the admin token of the profile)', () => {
  let correlationId = '';

  it('doctor, init and schemas check pass over TLS', async () => {
    for (const args of [
      ['doctor', '--verbose'],
      ['init', '--verbose'],
      ['schemas', 'check', '--verbose'],
    ]) {
      const r = await misoIn(args);
      matrix.push({
        case: 'valid admin token',
        command: `miso ${args[0]}${args[1] === 'check' ? ' check' : ''}`,
        expected: 'works',
        observed: `exit ${r.code}`,
        exit: r.code,
        pass: r.code === 0,
      });
      expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
  });

  it('send, tail, trace and dlq list work over TLS', async () => {
    const s = await misoIn(['send', 'campaign.create', '--data', '{"user_id":"sec-user","name":"Secure campaign"}', '--json', '--verbose']);
    expect(s.code, s.stderr).toBe(0);
    correlationId =
      (JSON.parse(s.stdout) as { correlationId?: string; correlation_id?: string }).correlationId ??
      (JSON.parse(s.stdout) as { correlation_id: string }).correlation_id;
    expect(correlationId).toMatch(/[0-9a-f-]{36}/);
    const t = await misoIn(['tail', 'campaign-commands', '--no-follow', '--from', 'earliest', '--json', '--verbose']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(correlationId);
    const tr = await misoIn(['trace', correlationId, '--json', '--verbose']);
    expect(tr.code, tr.stderr).toBe(0);
    expect(tr.stdout).toContain('campaign.create.command.v1');
    const d = await misoIn(['dlq', 'list', '--json', '--verbose']);
    expect(d.code, d.stderr).toBe(0);
    for (const cmd of ['send', 'tail', 'trace', 'dlq list'])
      matrix.push({ case: 'valid admin token', command: `miso ${cmd}`, expected: 'works', observed: 'exit 0', exit: 0, pass: true });
  });

  it('a service runs over TLS with the token and answers send --wait; its log holds no token', async () => {
    const child = spawn(process.execPath, [MISO_BIN, 'run', 'campaign', '--port', '0', '--json', '--verbose', '--data-dir', sb.dataDir], {
      env: { ...process.env, ...sb.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    try {
      await waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`campaign exited: ${err}`);
          return out.includes('"started"');
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'the campaign service to start' },
      );
      const started = JSON.parse(out.split('\n').find((l) => l.includes('"started"'))!) as { broker_connected: boolean };
      expect(started.broker_connected).toBe(true);
      const w = await misoIn(['send', 'campaign.create', '--data', '{"user_id":"sec-user","name":"Waited"}', '--wait', '--timeout', '30s', '--verbose']);
      expect(w.code, w.stderr).toBe(0);
      expect(w.stdout).toMatch(/campaign\.created/);
      matrix.push({
        case: 'valid admin token',
        command: 'miso run campaign + send --wait',
        expected: 'works',
        observed: 'exit 0, campaign.created',
        exit: 0,
        pass: true,
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      transcripts.push({ what: 'miso run campaign --verbose (whole log)', text: out + err });
    }
  }, 120_000);

  it('config and broker status show the connection with the token masked', async () => {
    const set = await misoIn(['config', 'set', 'token', tokens['producer-only']!, '--profile', 'with-token']);
    expect(set.code, set.stderr).toBe(0);
    for (const args of [
      ['config', 'list', '--json', '--verbose'],
      ['config', 'get', '--profile', 'with-token', '--verbose'],
      ['broker', 'status', '--json', '--verbose'],
    ]) {
      const r = await misoIn(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const status = await misoIn(['broker', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, secure: true });
  });
});

describe('secure broker: refusals', () => {
  it('a role with produce permission may send', async () => {
    const r = await misoIn([...SEND, ...via({ tokenFile: join(tokensDir, 'producer-only.jwt') })], bare());
    matrix.push({
      case: 'producer-only token (produce granted)',
      command: 'miso send',
      expected: 'works',
      observed: `exit ${r.code}`,
      exit: r.code,
      pass: r.code === 0,
    });
    expect(r.code, r.stderr).toBe(0);
  });

  /**
   * The binary protocol is checked with `miso send`, the admin API with `miso schemas check`
   * (one request per topic, eight topics, so up to eight admin connections, none repeated).
   * Both paths must say the same clear thing: an expired token is called expired (the broker
   * says only "Failed to authenticate"; the expiry is in the token), and an untrusted
   * certificate is called untrusted in miso's words, not Node's advice about its own flags.
   */
  const cases: { case: string; flags: () => string[]; binary: RegExp; admin: RegExp; expected: string }[] = [
    {
      case: 'no token',
      flags: () => via(),
      binary: /credentials|authenticat|token/i,
      admin: /credentials|authenticat|token/i,
      expected: 'refused: authentication',
    },
    {
      case: 'forged token (other secret)',
      flags: () => via({ token: forged }),
      binary: /credentials|authenticat/i,
      admin: /credentials|authenticat/i,
      expected: 'refused: authentication',
    },
    {
      case: 'expired token',
      flags: () => via({ tokenFile: join(tokensDir, 'expired.jwt') }),
      binary: /expired/i,
      admin: /expired/i,
      expected: 'refused: token expired',
    },
    {
      case: 'untrusted certificate (another CA)',
      flags: () => via({ token: tokens.admin, ca: otherCa }),
      binary: /^(?!.*Node\.js).*not trusted/i,
      admin: /^(?!.*Node\.js).*not trusted/i,
      expected: 'refused: TLS, certificate not trusted',
    },
    {
      case: 'no CA given (system trust store)',
      flags: () => via({ token: tokens.admin, ca: null }),
      binary: /^(?!.*Node\.js).*not trusted/i,
      admin: /^(?!.*Node\.js).*not trusted/i,
      expected: 'refused: TLS, certificate not trusted',
    },
    {
      case: 'host name not in the certificate (127.0.0.2)',
      flags: () => via({ token: tokens.admin, alt: true }),
      binary: /host ?name|altname|does not match|not in the cert/i,
      admin: /host ?name|altname|does not match|not in the cert/i,
      expected: 'refused: TLS, host name mismatch',
    },
  ];

  for (const c of cases) {
    it(`binary protocol, ${c.case}: miso send is refused`, async () => {
      await refused({ case: c.case, args: SEND, flags: c.flags(), expect: c.binary, expected: c.expected, maxBinary: 2, maxAdmin: 0 });
    }, 90_000);
    it(`admin API, ${c.case}: miso schemas check is refused`, async () => {
      await refused({ case: c.case, args: ADMIN, flags: c.flags(), expect: c.admin, expected: c.expected, maxBinary: 0, maxAdmin: 8 });
    }, 90_000);
  }

  it('a token without produce permission cannot send', async () => {
    await refused({
      case: 'no-permission token (consume only)',
      args: SEND,
      flags: via({ tokenFile: join(tokensDir, 'no-permission.jwt') }),
      expect: /permission|authoriz|not allowed/i,
      expected: 'refused: no produce permission',
      maxBinary: 2,
      maxAdmin: 0,
    });
  }, 90_000);

  it('a token without consume permission cannot tail', async () => {
    await refused({
      case: 'producer-only token (no consume)',
      args: TAIL,
      flags: via({ tokenFile: join(tokensDir, 'producer-only.jwt') }),
      expect: /permission|authoriz|not allowed/i,
      expected: 'refused: no consume permission',
      maxBinary: 2,
      maxAdmin: 8,
    });
  }, 90_000);

  it('a service started with an expired token stops with the reason instead of retrying forever', async () => {
    proxies.bin.take();
    proxies.web.take();
    const r = await misoIn(
      ['run', 'campaign', '--port', '0', '--data-dir', join(sb.root, 'expired-run'), '--verbose', ...via({ tokenFile: join(tokensDir, 'expired.jwt') })],
      bare(),
      90_000,
    );
    const binary = proxies.bin.take();
    const adminConns = proxies.web.take();
    const line = errorLine(r.stderr);
    const row: Row = {
      case: 'expired token',
      command: 'miso run campaign',
      expected: 'exits: token expired',
      observed: line
        .replace(/^miso: /, '')
        .split(' — ')[0]!
        .slice(0, 140),
      exit: r.code,
      connections: { binary, admin: adminConns },
      pass: false,
    };
    matrix.push(row);
    expect(r.code).not.toBe(0);
    expect(line).toMatch(/expired/i);
    expect(binary).toBeLessThanOrEqual(2);
    row.pass = true;
  }, 120_000);
});

describe('secrets', () => {
  it('no token appears in any output or log (--verbose included)', () => {
    expect(transcripts.length).toBeGreaterThan(20);
    const secrets = Object.entries({ ...tokens, forged });
    const leaks: string[] = [];
    for (const t of transcripts) {
      for (const [name, value] of secrets) {
        // The whole token, or its signature part alone.
        if (t.text.includes(value) || t.text.includes(value.split('.')[2]!)) leaks.push(`${name} in: ${t.what}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('files holding secrets are 0600, and every such file under the sandbox is found', () => {
    const secretValues = Object.values(tokens);
    const holding: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          // Broker data and logs are the broker's own.
          if (!['data', 'logs', 'bookkeeper', 'metadata'].includes(e.name)) walk(p);
          continue;
        }
        if (!e.isFile() || statSync(p).size > 1_000_000) continue;
        const text = readFileSync(p, 'latin1');
        if (secretValues.some((v) => text.includes(v)) || /PRIVATE KEY-----/.test(text) || e.name === 'secret.key') holding.push(p);
      }
    };
    walk(sb.env.MISO_STATE_DIR!);
    walk(sb.env.MISO_CONFIG_DIR!);
    const names = holding.map((p) => p.slice(sb.root.length + 1));
    // The token files, the signing secret, both private keys, the profile set with a token.
    expect(names.filter((n) => n.endsWith('.jwt')).length).toBeGreaterThanOrEqual(4);
    expect(names.some((n) => n.endsWith('secret.key'))).toBe(true);
    expect(names.some((n) => n.endsWith('ca.key.pem'))).toBe(true);
    expect(names.some((n) => n.endsWith('broker.key.pem'))).toBe(true);
    expect(names.some((n) => n.startsWith('config'))).toBe(true);
    const loose = holding
      .filter((p) => (statSync(p).mode & 0o077) !== 0)
      .map((p) => `${p.slice(sb.root.length + 1)} ${(statSync(p).mode & 0o777).toString(8)}`);
    expect(loose).toEqual([]);
    matrix.push({
      case: 'secret files',
      command: `${holding.length} files`,
      expected: 'mode 0600',
      observed: loose.length === 0 ? 'all 0600' : loose.join(', '),
      exit: 0,
      pass: loose.length === 0,
    });
  });
});

// Silence "unused" for the helper kept for readers of the stats path.
void campaignCommandsIn;
