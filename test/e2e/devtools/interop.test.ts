import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { miso } from '../../support/cli.js';
import { PYTHON as python, pulsarTool, requirePulsar, requirePythonClient } from '../../support/peers.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL } from '../../support/env.js';
import { topicName } from '../../../src/core/catalog/index.js';
import { freshScope } from '../../integration/catalog/scope.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-interop-'));
const env = {
  MISO_CONFIG_DIR: join(dir, 'config'),
  MISO_STATE_DIR: join(dir, 'state'),
  PULSAR_SERVICE_URL: TEST_SERVICE_URL,
  PULSAR_ADMIN_URL: TEST_ADMIN_URL,
};

let scope: Awaited<ReturnType<typeof freshScope>>;
const sent: { correlation_id: string; id: string }[] = [];

beforeAll(async () => {
  scope = await freshScope('interop');
  const ns = ['--tenant', scope.cfg.tenant, '--namespace', scope.cfg.namespace];
  // Two message types on one topic: the envelope's payload union carries both.
  for (const args of [
    ['campaign.create', '--name', 'Interop Campaign', '--user-id', 'user123', '--budget-minor', '250000', '--currency', 'EUR'],
    ['campaign.add_video', '--campaign-id', 'c-42', '--url', 'https://videos.example/1', '--title', 'Intro'],
  ]) {
    const r = await miso(['send', ...args, '--json', ...ns], { env });
    if (r.code !== 0) throw new Error(r.stderr);
    sent.push(JSON.parse(r.stdout) as { correlation_id: string; id: string });
  }
}, 60_000);
afterAll(async () => {
  await scope?.drop();
});

describe('official clients decode what `miso send` wrote, with the schema the broker registered', () => {
  it.skipIf(!requirePulsar())(
    'Java: pulsar-client consume --schema-type auto_consume',
    async () => {
      const { stdout } = await run(
        pulsarTool('pulsar-client'),
        [
          '--url',
          TEST_SERVICE_URL,
          'consume',
          '-s',
          'interop',
          '-p',
          'Earliest',
          '-n',
          '2',
          '--schema-type',
          'auto_consume',
          topicName(scope.cfg, 'campaign-commands'),
        ],
        { timeout: 90_000, maxBuffer: 10 * 1024 * 1024 },
      );
      const lines = stdout.split('\n').filter((l) => l.includes('content:'));
      expect(lines).toHaveLength(2);
      // GenericRecord.toString of the envelope: header fields and the union payload record.
      expect(lines[0]).toContain(`id=${sent[0]!.id}`);
      expect(lines[0]).toContain('type=campaign.create.command.v1');
      expect(lines[0]).toContain(`correlation_id=${sent[0]!.correlation_id}`);
      // Fields print in no fixed order.
      const payload = (l: string): string => /payload=\{([^}]*)\}/.exec(l)![1]!;
      expect(payload(lines[0]!).split(', ').sort()).toEqual(
        expect.arrayContaining(['name=Interop Campaign', 'budget_minor=250000', 'currency=EUR', 'user_id=user123', 'description=NULL']),
      );
      expect(lines[1]).toContain('type=campaign.add_video.command.v1');
      expect(payload(lines[1]!).split(', ')).toEqual(expect.arrayContaining(['url=https://videos.example/1', 'title=Intro', 'campaign_id=c-42']));
      expect(lines[1]).toMatch(/properties:\[.*correlation_id=/);
    },
    120_000,
  );

  it.skipIf(!requirePythonClient())(
    'Python: pulsar-client reader + fastavro with the registered writer schema',
    async () => {
      const script = `
import json, sys, io, urllib.request, pulsar, fastavro
topic, admin, url = sys.argv[1], sys.argv[2], sys.argv[3]
t, ns, name = topic.split('://')[1].split('/')
client = pulsar.Client(url)
reader = client.create_reader(topic, pulsar.MessageId.earliest)
out = []
while reader.has_message_available():
    m = reader.read_next(5000)
    sv = m.schema_version()
    v = int.from_bytes(sv.encode('latin-1') if isinstance(sv, str) else sv, 'big')
    s = json.load(urllib.request.urlopen(f"{admin}/admin/v2/schemas/{t}/{ns}/{name}/schema/{v}"))
    rec = fastavro.schemaless_reader(io.BytesIO(m.data()), fastavro.parse_schema(json.loads(s['data'])))
    out.append({'rec': rec, 'props': m.properties(), 'key': m.partition_key()})
client.close()
print(json.dumps(out, default=str))
`;
      const { stdout } = await run(python, ['-c', script, topicName(scope.cfg, 'campaign-commands'), TEST_ADMIN_URL, TEST_SERVICE_URL], { timeout: 60_000 });
      const got = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rec: Record<string, any>; props: Record<string, string>; key: string }[];
      expect(got).toHaveLength(2);
      expect(got[0]!.rec).toMatchObject({ id: sent[0]!.id, type: 'campaign.create.command.v1', correlation_id: sent[0]!.correlation_id, causation_id: null });
      expect(got[0]!.rec.payload).toMatchObject({ user_id: 'user123', name: 'Interop Campaign', budget_minor: 250000, currency: 'EUR', description: null });
      expect(got[0]!.key).toBe(got[0]!.rec.payload.campaign_id);
      expect(got[0]!.props).toMatchObject({ type: 'campaign.create.command.v1', id: sent[0]!.id, correlation_id: sent[0]!.correlation_id });
      expect(got[1]!.rec.payload).toMatchObject({ campaign_id: 'c-42', url: 'https://videos.example/1', title: 'Intro' });
      expect(got[1]!.key).toBe('c-42');
    },
    90_000,
  );
});
