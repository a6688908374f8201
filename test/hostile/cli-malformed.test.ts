/**
 * Malformed invocations of the CLI, run as a user would (`node bin/miso.js …`, after
 * `npm run build`): each must end with one line saying what is wrong and what to do
 * (`miso: <what> — <next step>`), a non-zero exit, no stack trace, and nothing sent: the
 * topics of the tenant the invocations aim at are still empty afterwards.
 *
 * Report: test-output/hostile-cli.{json,md}.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ResolvedConfig } from '../../src/config/index.js';
import { initCluster } from '../../src/core/init.js';
import { schemasDir } from '../../src/core/catalog/schemas.js';
import { COMMAND_TOPICS, deadLetterTopic, EVENT_TOPICS, serviceSubscription, topicName } from '../../src/core/topics.js';
import { AdminClient } from '../../src/pulsar/admin.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import { miso, type CliResult } from '../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../support/env.js';
import { mdTable, writeReport } from './report.js';

interface Case {
  name: string;
  args: string[];
  input?: string;
  /** What the error line must name. */
  names: RegExp;
}

const CREATE = '{"user_id":"u","name":"n"}';
const TRACK = (extra: string) => `{"event_type":"conversion","campaign_id":"c","video_id":"v","visitor_id":"x"${extra}}`;

/** Schema directories with one thing wrong each, copied from the built-in schemas/ (removed in afterAll). */
const schemaFixtures = mkdtempSync(join(tmpdir(), 'miso-cli-bad-schemas-'));
function spoiledSchemas(name: string, spoil: (dir: string) => void): string {
  const dir = join(schemaFixtures, name);
  cpSync(schemasDir(), dir, { recursive: true });
  spoil(dir);
  return dir;
}
const NOT_JSON = spoiledSchemas('not-json', (d) => writeFileSync(join(d, 'envelopes', 'campaign-events.avsc'), '{ "type": "record", '));
const UNREADABLE = spoiledSchemas('unreadable', (d) => {
  // A directory where the file should be: unreadable even for root, which ignores file modes.
  rmSync(join(d, 'messages', 'campaign.created.v1.avsc'));
  mkdirSync(join(d, 'messages', 'campaign.created.v1.avsc'));
});
const MISSING_FILE = spoiledSchemas('missing-file', (d) => rmSync(join(d, 'envelopes', 'payment-events.avsc')));
const RENAMED = spoiledSchemas('renamed', (d) =>
  writeFileSync(join(d, 'messages', 'campaign.created.v1.avsc'), '{"type":"record","name":"Renamed","fields":[]}'),
);
const NOT_A_RECORD = spoiledSchemas('not-a-record', (d) => writeFileSync(join(d, 'envelopes', 'campaign-events.avsc'), '[1, 2]'));
const BAD_AVRO = spoiledSchemas('bad-avro', (d) =>
  writeFileSync(
    join(d, 'messages', 'campaign.created.v1.avsc'),
    '{"type":"record","name":"CampaignCreated","namespace":"miso.campaign","fields":[{"name":"n","type":"int","default":"not a number"}]}',
  ),
);
const PLANS_NOT_JSON = join(schemaFixtures, 'plans.json');
writeFileSync(PLANS_NOT_JSON, '{"c1": ');

/** Flags every invocation gets: the sandbox tenant on the test broker. Set in beforeAll. */
let scope: string[] = [];

const cases: Case[] = [
  // miso send: the message itself
  { name: 'send without a type or input', args: ['send'], names: /input is empty|type/i },
  { name: 'send an unknown type (typo)', args: ['send', 'campaign.craete', '--data', CREATE], names: /campaign\.craete.*campaign\.create/ },
  { name: 'send invalid JSON', args: ['send', 'campaign.create', '--data', '{not json'], names: /not valid JSON/ },
  { name: 'send a JSON array', args: ['send', 'campaign.create', '--data', '[]'], names: /no message|array|object/i },
  { name: 'send JSON null', args: ['send', 'campaign.create', '--data', 'null'], names: /object/ },
  { name: 'send without a required field', args: ['send', 'campaign.create', '--data', '{"user_id":"u"}'], names: /name/ },
  { name: 'send an unknown field', args: ['send', 'campaign.create', '--data', '{"user_id":"u","name":"n","extra":1}'], names: /extra/ },
  { name: 'send an unknown field flag', args: ['send', 'campaign.create', '--bogus'], names: /bogus/ },
  {
    name: 'send a value outside an enum',
    args: ['send', 'tracking.create_event', '--data', TRACK(',"sale_amount_minor":100').replace('conversion', 'purchase')],
    names: /event_type.*purchase/,
  },
  {
    name: 'send money as a fraction',
    args: ['send', 'tracking.create_event', '--data', TRACK(',"sale_amount_minor":12.5')],
    names: /sale_amount_minor.*12\.5/,
  },
  { name: 'send money as text', args: ['send', 'tracking.create_event', '--data', TRACK(',"sale_amount_minor":"12"')], names: /sale_amount_minor/ },
  {
    name: 'send money beyond a long',
    args: ['send', 'payment.process', '--data', '{"commission_id":"k","user_id":"u","amount_minor":1e30,"idempotency_key":"k"}'],
    names: /amount_minor/,
  },
  { name: 'send an envelope id that is not a UUID', args: ['send', 'campaign.create', '--data', CREATE, '--id', 'not-a-uuid'], names: /UUID/ },
  { name: 'send from a file that does not exist', args: ['send', 'campaign.create', '--file', '/nonexistent/miso-input.json'], names: /nonexistent/ },
  {
    name: 'send NDJSON with one bad line (all or nothing)',
    args: ['send', 'campaign.create', '--file', '-'],
    input: `${CREATE}\n{"user_id":"u"}\n${CREATE}\n`,
    names: /line 2/,
  },
  { name: 'send --data without a value', args: ['send', 'campaign.create', '--data'], names: /--data/ },
  {
    name: 'send --wait with a timeout that is not a duration',
    args: ['send', 'campaign.create', '--data', CREATE, '--wait', '--timeout', 'forever'],
    names: /forever/,
  },
  // connection settings
  {
    name: 'a service URL that is not pulsar://',
    args: ['send', 'campaign.create', '--data', CREATE, '--service-url', 'http://broker:6650'],
    names: /service URL/,
  },
  { name: 'an admin URL that is not http(s)', args: ['send', 'campaign.create', '--data', CREATE, '--admin-url', 'ftp://broker'], names: /admin URL/ },
  { name: 'a token file that does not exist', args: ['send', 'campaign.create', '--data', CREATE, '--token-file', '/nonexistent/token'], names: /token file/ },
  { name: 'a tenant name Pulsar refuses', args: ['send', 'campaign.create', '--data', CREATE, '--tenant', 'bad tenant!'], names: /tenant/ },
  {
    name: 'a broker that does not answer',
    args: ['send', 'campaign.create', '--data', CREATE, '--service-url', 'pulsar://127.0.0.1:1'],
    names: /reach|refused/,
  },
  // reading commands
  { name: 'tail --since that is not a duration', args: ['tail', '--since', 'yesterday'], names: /yesterday/ },
  { name: 'tail --from that is not a time', args: ['tail', '--from', 'notadate'], names: /notadate/ },
  { name: 'tail an unknown message type', args: ['tail', 'nosuch.type'], names: /nosuch\.type/ },
  { name: 'trace with a --since that is not a duration', args: ['trace', 'abc', '--since', '5 parsecs'], names: /parsecs/ },
  { name: 'dlq show of an id that does not exist', args: ['dlq', 'show', 'not-an-id'], names: /not-an-id/ },
  { name: 'dlq replay without an id or --all', args: ['dlq', 'replay'], names: /--all/ },
  // services
  { name: 'run an unknown service', args: ['run', 'nosuchservice'], names: /nosuchservice/ },
  { name: 'run with a failure rate above 1', args: ['run', 'payment', '--payout-failure-rate', '2'], names: /payout-failure-rate/ },
  { name: 'run all with one --db', args: ['run', 'all', '--db', 'x.db'], names: /--db/ },
  // configuration and catalog
  { name: 'config set of an unknown setting', args: ['config', 'set', 'nosuchkey', 'value', '--profile', 'p'], names: /nosuchkey/ },
  { name: 'config use of a profile that does not exist', args: ['config', 'use', 'nosuchprofile'], names: /nosuchprofile/ },
  { name: 'schemas show of an unknown type', args: ['schemas', 'show', 'nosuch.type'], names: /nosuch\.type/ },
  // files and directories the user names
  {
    name: 'schemas check --dir that does not exist',
    args: ['schemas', 'check', '--dir', '/nonexistent/miso-schemas'],
    names: /\/nonexistent\/miso-schemas does not exist/,
  },
  {
    name: 'schemas push --dir that does not exist',
    args: ['schemas', 'push', '--dir', '/nonexistent/miso-schemas'],
    names: /\/nonexistent\/miso-schemas does not exist/,
  },
  {
    name: 'schemas check --dir naming a file',
    args: ['schemas', 'check', '--dir', join(schemasDir(), 'envelopes', 'campaign-events.avsc')],
    names: /is not a directory/,
  },
  { name: 'schemas check --dir with a malformed .avsc', args: ['schemas', 'check', '--dir', NOT_JSON], names: /campaign-events\.avsc is not valid JSON/ },
  { name: 'schemas check --dir with an unreadable .avsc', args: ['schemas', 'check', '--dir', UNREADABLE], names: /cannot read .*campaign\.created\.v1\.avsc/ },
  {
    name: "schemas check --dir without a topic's envelope",
    args: ['schemas', 'check', '--dir', MISSING_FILE],
    names: /has no envelopes\/payment-events\.avsc/,
  },
  {
    name: 'schemas push --dir with a record under another name',
    args: ['schemas', 'push', '--dir', RENAMED],
    names: /defines Renamed, expected miso\.campaign\.CampaignCreated/,
  },
  {
    name: 'schemas push --dir with an envelope that is not a record',
    args: ['schemas', 'push', '--dir', NOT_A_RECORD],
    names: /campaign-events\.avsc is not an Avro record/,
  },
  {
    name: 'schemas push --dir with invalid Avro (a default of the wrong type)',
    args: ['schemas', 'push', '--dir', BAD_AVRO],
    names: /not a valid Avro envelope.*not a number/,
  },
  {
    name: 'schemas asyncapi --output into a missing directory',
    args: ['schemas', 'asyncapi', '--output', '/nonexistent/miso/asyncapi.json'],
    names: /cannot write \/nonexistent\/miso\/asyncapi\.json/,
  },
  { name: 'tail --token-file that does not exist', args: ['tail', '--token-file', '/nonexistent/miso-token'], names: /token file \/nonexistent\/miso-token/ },
  { name: 'run commission --plans that is not JSON', args: ['run', 'commission', '--plans', PLANS_NOT_JSON], names: /plans file .*not valid JSON/ },
  { name: 'dashboard --since that is not a duration', args: ['dashboard', '--since', 'yesterday'], names: /yesterday/ },
  { name: 'an unknown command', args: ['nosuchcommand'], names: /nosuchcommand/ },
];

/**
 * Flag values that oclif checks (integer ranges, a missing argument). The message must keep
 * the reason, not only the flag's name.
 */
const parseCases: Case[] = [
  { name: 'send --count 0', args: ['send', 'campaign.create', '--data', CREATE, '--count', '0'], names: /count.*(0|at least|greater)/i },
  {
    name: 'send --rate that is not a number',
    args: ['send', 'campaign.create', '--data', CREATE, '--count', '2', '--rate', 'abc'],
    names: /rate.*(abc|number)/i,
  },
  { name: 'tail --limit -1', args: ['tail', '--limit', '-1'], names: /limit.*(-1|at least|greater)/i },
  { name: 'run --port 70000', args: ['run', 'campaign', '--port', '70000'], names: /port.*(70000|65535|less)/i },
  { name: 'init --retention-minutes -5', args: ['init', '--retention-minutes', '-5'], names: /retention-minutes.*(-5|-1|greater)/i },
  { name: 'broker up --heap-mb 10', args: ['broker', 'up', '--heap-mb', '10'], names: /heap-mb.*(10|128|greater)/i },
  { name: 'trace without its correlation id', args: ['trace'], names: /correlation/i },
];

interface Outcome {
  name: string;
  args: string;
  exit: number;
  line: string;
  problems: string[];
}
const outcomes: Outcome[] = [];

let cfg: ResolvedConfig;
let admin: AdminClient;
let configDir: string;

beforeAll(async () => {
  const tenant = uniqueName('cli-bad');
  cfg = resolveConfig({ serviceUrl: TEST_SERVICE_URL, adminUrl: TEST_ADMIN_URL, tenant, namespace: 'ns' });
  admin = new AdminClient(cfg);
  const report = await initCluster(cfg, { admin });
  expect(report.ok).toBe(true);
  scope = ['--service-url', TEST_SERVICE_URL, '--admin-url', TEST_ADMIN_URL, '--tenant', tenant, '--namespace', 'ns'];
  configDir = mkdtempSync(join(tmpdir(), 'miso-cli-bad-'));
}, 120_000);

afterAll(async () => {
  writeReport(
    'hostile-cli',
    { cases: outcomes.length, outcomes },
    [
      '# Hostile input: malformed CLI invocations',
      '',
      `${outcomes.length} invocations, each checked for one \`miso: <what> — <next step>\` line, a non-zero exit, no stack trace; the topics they aimed at stayed empty. Reproduce: \`npm run build && npx vitest run test/hostile/cli-malformed.test.ts\`.`,
      '',
      mdTable(
        ['invocation', 'exit', 'error line', 'problems'],
        outcomes.map((o) => [o.name, o.exit, o.line.slice(0, 150), o.problems.join('; ') || 'none']),
      ),
    ].join('\n'),
  );
  rmSync(configDir, { recursive: true, force: true });
  rmSync(schemaFixtures, { recursive: true, force: true });
  try {
    await admin?.deleteTenant(cfg.tenant, { recursive: true });
  } catch {
    /* a leftover test tenant harms nothing */
  }
});

/** Run one case; return what is wrong with its outcome (empty when it is right). */
async function check(c: Case): Promise<{ r: CliResult; problems: string[] }> {
  // Commands that talk to the broker get the sandbox tenant, except for the flags the case sets itself.
  const connected =
    !['config', 'schemas', 'nosuchcommand', 'broker'].includes(c.args[0]!) || (c.args[0] === 'schemas' && ['check', 'push'].includes(c.args[1]!));
  const own = new Set(c.args.filter((a) => a.startsWith('--')));
  const extra: string[] = [];
  if (connected) for (let i = 0; i < scope.length; i += 2) if (!own.has(scope[i]!)) extra.push(scope[i]!, scope[i + 1]!);
  const ordered = [...c.args, ...extra];
  const r = await miso(ordered, {
    env: { MISO_CONFIG_DIR: configDir, MISO_STATE_DIR: join(configDir, 'state') },
    ...(c.input !== undefined ? { input: c.input } : {}),
    timeoutMs: 60_000,
  });
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errorLines = lines.filter((l) => l.startsWith('miso: '));
  const line = errorLines[0] ?? lines[0] ?? '';
  const problems: string[] = [];
  if (r.code === 0) problems.push('exit code 0');
  if (errorLines.length !== 1) problems.push(`${errorLines.length} error lines`);
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr) || /internal error/.test(r.stderr)) problems.push('stack trace');
  if (!/ — \S/.test(line)) problems.push('no next step');
  if (!c.names.test(line)) problems.push(`does not name ${c.names}`);
  if (r.stdout.trim() !== '') problems.push('printed on stdout');
  outcomes.push({ name: c.name, args: c.args.join(' '), exit: r.code, line, problems });
  return { r, problems };
}

describe('malformed CLI invocations', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { r, problems } = await check(c);
      expect(problems, `${r.stderr}`).toEqual([]);
    });
  }

  it('integer flags out of range and a missing argument keep the reason in the message', async () => {
    const failures: string[] = [];
    for (const c of parseCases) {
      const { r, problems } = await check(c);
      if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')} — got: ${r.stderr.trim().split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('nothing reached the broker: every topic of the tenant is still empty', async () => {
    const client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
    try {
      const topics = [...COMMAND_TOPICS, ...EVENT_TOPICS].map((t) => topicName(cfg, t));
      for (const t of COMMAND_TOPICS) topics.push(deadLetterTopic(topicName(cfg, t), serviceSubscription(t.replace('-commands', '') as never)));
      for (const topic of topics) {
        const reader = await client.createReader({ topic, start: 'earliest' });
        const has = await reader.hasMessageAvailable();
        await reader.close();
        expect(has, topic).toBe(false);
      }
    } finally {
      await client.close();
    }
    expect(outcomes.length).toBeGreaterThanOrEqual(30);
  });
});
