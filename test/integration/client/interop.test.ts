import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient, type Message } from '../../../src/pulsar/index.js';
import { TEST_SERVICE_URL, uniqueTopic } from '../../support/env.js';
import { PYTHON, pulsarTool, requirePulsar, requirePythonClient } from '../../support/peers.js';

const run = promisify(execFile);

const SCHEMA = {
  type: 'record',
  name: 'Ping',
  namespace: 'miso.interop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'n', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const type = avro.Type.forSchema(SCHEMA as avro.Schema);

let client: PulsarClient;
beforeAll(() => {
  client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
});
afterAll(async () => {
  await client.close();
});

async function produceWithMiso(topic: string, n: number): Promise<void> {
  const producer = await client.createProducer({
    topic,
    schema: { type: 'AVRO', schema: JSON.stringify(SCHEMA) },
    batching: { maxMessages: 10, maxDelayMs: 5 },
  });
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      producer.send({
        payload: type.toBuffer({ id: `m${i}`, n: i * 1000, note: i % 2 ? 'odd' : null }),
        key: 'agg-1',
        properties: { origin: 'miso', i: String(i) },
      }),
    ),
  );
  await producer.close();
}

async function readWithMiso(topic: string, n: number): Promise<{ value: unknown; m: Message }[]> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  const out: { value: unknown; m: Message }[] = [];
  while (out.length < n) {
    const m = await reader.readNext(15_000);
    if (!m) throw new Error(`read ${out.length} of ${n}`);
    // Decode with the writer's schema, fetched by the version stamped on the message.
    const writer = await client.getSchema(topic, m.schemaVersion);
    expect(writer?.type).toBe('AVRO');
    out.push({ value: avro.Type.forSchema(JSON.parse(writer!.schema) as avro.Schema).fromBuffer(m.payload), m });
  }
  await reader.close();
  return out;
}

const javaUrl = TEST_SERVICE_URL;

describe.skipIf(!requirePulsar())('interop with the Java client tools', () => {
  it('miso writes Avro, `pulsar-client consume --schema-type auto_consume` decodes it', async () => {
    const topic = uniqueTopic('java-reads');
    await produceWithMiso(topic, 3);
    const { stdout } = await run(
      pulsarTool('pulsar-client'),
      ['--url', javaUrl, 'consume', '-s', 'java', '-p', 'Earliest', '-n', '3', '--schema-type', 'auto_consume', topic],
      {
        timeout: 90_000,
        maxBuffer: 10 * 1024 * 1024,
      },
    );
    const lines = stdout.split('\n').filter((l) => l.includes('content:'));
    expect(lines).toHaveLength(3);
    // The tool prints a decoded GenericRecord as {field=value, ...} in no fixed order.
    const content = (l: string) =>
      Object.fromEntries(
        /content:\{(.*)\}\s*$/
          .exec(l)![1]!
          .split(', ')
          .map((kv) => kv.split('=') as [string, string]),
      );
    expect(lines.map(content)).toEqual([
      { id: 'm0', n: '0', note: 'NULL' },
      { id: 'm1', n: '1000', note: 'odd' },
      { id: 'm2', n: '2000', note: 'NULL' },
    ]);
    expect(lines[1]).toContain('key:[agg-1]');
    expect(lines[1]).toMatch(/properties:\[.*origin=miso/);
  }, 120_000);

  it('`pulsar-client produce --value-schema avro:…` writes, miso reads and decodes it', async () => {
    const topic = uniqueTopic('java-writes');
    const msgs = [
      { id: 'j0', n: 7, note: 'x' },
      { id: 'j1', n: 8, note: null },
    ];
    const javaSchema = { ...SCHEMA, fields: SCHEMA.fields.slice(0, 2) };
    await run(
      pulsarTool('pulsar-client'),
      [
        '--url',
        javaUrl,
        'produce',
        '-s',
        ';',
        '-vs',
        `avro:${JSON.stringify(javaSchema)}`,
        '-m',
        msgs.map((m) => JSON.stringify({ id: m.id, n: m.n })).join(';'),
        '-k',
        'from-java',
        '-p',
        'origin=java',
        topic,
      ],
      { timeout: 90_000 },
    );
    const got = await readWithMiso(topic, 2);
    expect(got.map((g) => g.value)).toEqual([
      { id: 'j0', n: 7 },
      { id: 'j1', n: 8 },
    ]);
    expect(got[0]!.m.key).toBe('from-java');
    expect(got[0]!.m.properties).toEqual({ origin: 'java' });
  }, 120_000);
});

describe.skipIf(!requirePythonClient())('interop with the Python pulsar-client (PyPI)', () => {
  it('miso writes Avro, Python decodes it with AvroSchema', async () => {
    const topic = uniqueTopic('py-reads');
    await produceWithMiso(topic, 4);
    const script = `
import json, sys, pulsar
from pulsar.schema import AvroSchema
c = pulsar.Client(sys.argv[1])
s = c.subscribe(sys.argv[2], 'py', schema=AvroSchema(None, schema_definition=json.loads(sys.argv[3])),
                initial_position=pulsar.InitialPosition.Earliest)
for _ in range(int(sys.argv[4])):
    m = s.receive(15000)
    print('ROW ' + json.dumps({'value': m.value(), 'key': m.partition_key(), 'props': m.properties()}), flush=True)
    s.acknowledge(m)
c.close()
`;
    const { stdout } = await run(PYTHON, ['-c', script, javaUrl, topic, JSON.stringify(SCHEMA), '4'], { timeout: 60_000 });
    const rows = stdout
      .split('\n')
      .filter((l) => l.startsWith('ROW '))
      .map((l) => JSON.parse(l.slice(4)) as { value: unknown; key: string; props: Record<string, string> });
    expect(rows.map((r) => r.value)).toEqual([
      { id: 'm0', n: 0, note: null },
      { id: 'm1', n: 1000, note: 'odd' },
      { id: 'm2', n: 2000, note: null },
      { id: 'm3', n: 3000, note: 'odd' },
    ]);
    expect(rows[2]!.key).toBe('agg-1');
    expect(rows[2]!.props).toEqual({ origin: 'miso', i: '2' });
  }, 90_000);

  it('Python writes Avro (batched), miso reads and decodes it', async () => {
    const topic = uniqueTopic('py-writes');
    const script = `
import json, sys, pulsar
from pulsar.schema import AvroSchema
c = pulsar.Client(sys.argv[1])
p = c.create_producer(sys.argv[2], schema=AvroSchema(None, schema_definition=json.loads(sys.argv[3])), batching_enabled=True, batching_max_publish_delay_ms=20)
for i in range(5):
    p.send_async({'id': 'p%d' % i, 'n': i, 'note': None if i % 2 == 0 else 'py'}, None, partition_key='py-key', properties={'origin': 'python'})
p.flush()
c.close()
`;
    await run(PYTHON, ['-c', script, javaUrl, topic, JSON.stringify(SCHEMA)], { timeout: 60_000 });
    const got = await readWithMiso(topic, 5);
    expect(got.map((g) => g.value)).toEqual(Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, n: i, note: i % 2 === 0 ? null : 'py' })));
    expect(got.every((g) => g.m.key === 'py-key' && g.m.properties.origin === 'python')).toBe(true);
    // The Python client batched them: several messages share an entry.
    expect(new Set(got.map((g) => `${g.m.messageId.ledgerId}:${g.m.messageId.entryId}`)).size).toBeLessThan(5);
  }, 90_000);

  it('messages compressed by Python (LZ4, ZLIB, ZSTD, SNAPPY; batched and not) are decompressed', async () => {
    const topic = uniqueTopic('py-compressed');
    const script = `
import sys, pulsar
c = pulsar.Client(sys.argv[1])
for name in ['LZ4', 'ZLib', 'ZSTD', 'SNAPPY']:
    for batching in [False, True]:
        p = c.create_producer(sys.argv[2], compression_type=getattr(pulsar.CompressionType, name), batching_enabled=batching, batching_max_publish_delay_ms=20)
        for i in range(3):
            p.send_async((('%s-%s-%d ' % (name, batching, i)) * 40).encode(), None)
        p.flush()
        p.close()
c.close()
`;
    await run(PYTHON, ['-c', script, javaUrl, topic], { timeout: 60_000 });
    const reader = await client.createReader({ topic, start: 'earliest' });
    const got: string[] = [];
    while (await reader.hasMessageAvailable()) got.push((await reader.readNext(5000))!.payload.toString());
    await reader.close();
    const expected: string[] = [];
    for (const name of ['LZ4', 'ZLib', 'ZSTD', 'SNAPPY'])
      for (const b of ['False', 'True']) for (let i = 0; i < 3; i++) expected.push(`${name}-${b}-${i} `.repeat(40));
    expect(got).toEqual(expected);
  }, 90_000);
});
