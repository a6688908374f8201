/**
 * Hostile bytes against the protocol codec: random buffers, and valid frames built with the
 * codec's own encoders then mutated (bit flips, overwritten bytes, size fields set to edge
 * values, truncation, insertion, splices). The codec must never crash (only typed protocol
 * errors escape), never hang, and a stream parser must resynchronise on the next frame when
 * the damaged frame's outer size was intact.
 *
 * Seed and count: MISO_FUZZ_SEED, MISO_FUZZ_CASES (per category). Report:
 * test-output/hostile-codec.{json,md}.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MisoError } from '../../src/errors.js';
import { ProtocolError } from '../../src/pulsar/errors.js';
import {
  BaseCommandDef,
  BatchEntryCursor,
  BrokerEntryMetadataDef,
  CommandType,
  decodeBatchPayload,
  decodeFrame,
  decodeMessage,
  encodeBatchPayload,
  encodeCommandFrame,
  encodeMessage,
  encodePayloadFrame,
  FrameParser,
  MessageMetadataDef,
  SingleMessageMetadataDef,
  subCommandField,
  type BaseCommand,
  type Frame,
  type MessageDef,
} from '../../src/pulsar/protocol/index.js';
import * as defs from '../../src/pulsar/protocol/definitions.js';
import { mdTable, writeReport } from './report.js';
import { fuzzCases, fuzzSeed, Rng } from './rng.js';

const SEED = fuzzSeed(20250611);
const CASES = fuzzCases(3000);

// ---------------------------------------------------------------------------------------
// A corpus of valid frames (whole frames, totalSize included) built with the codec itself.

function withBrokerEntryMetadata(frame: Buffer): Buffer {
  // Insert [0x0e02][size][BrokerEntryMetadata] between the command and the checksum magic.
  const cmdSize = frame.readUInt32BE(4);
  const at = 8 + cmdSize;
  const bem = encodeMessage(BrokerEntryMetadataDef, { broker_timestamp: 1_718_000_000_000, index: 41 });
  const head = Buffer.alloc(6);
  head.writeUInt16BE(0x0e02, 0);
  head.writeUInt32BE(bem.length, 2);
  const out = Buffer.concat([frame.subarray(0, at), head, bem, frame.subarray(at)]);
  out.writeUInt32BE(out.length - 4, 0);
  return out;
}

function corpus(): { name: string; bytes: Buffer }[] {
  const metadata = {
    producer_name: 'campaign-outbox',
    sequence_id: 42n,
    publish_time: 1_718_000_000_123,
    properties: [
      { key: 'type', value: 'campaign.created.v1' },
      { key: 'correlation_id', value: '7f1c2d3e-0000-4000-8000-000000000001' },
    ],
    partition_key: 'cmp-1',
    event_time: 1_718_000_000_100,
    schema_version: Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]),
  };
  const batch = encodeBatchPayload([
    { key: 'a', properties: { k: 'v' }, payload: Buffer.from('first message') },
    { sequenceId: 7, eventTime: 5, payload: Buffer.alloc(40, 0x61) },
    { payload: Buffer.alloc(0) },
  ]);
  const messageId = { ledgerId: 12n, entryId: 34n, partition: -1, batch_index: 1 };
  const list: { name: string; bytes: Buffer }[] = [
    {
      name: 'CONNECT',
      bytes: encodeCommandFrame({
        type: CommandType.CONNECT,
        connect: {
          client_version: 'miso',
          protocol_version: 21,
          auth_method_name: 'token',
          auth_data: Buffer.from('eyJ.x.y'),
          feature_flags: { supports_auth_refresh: true },
        },
      }),
    },
    {
      name: 'CONNECTED',
      bytes: encodeCommandFrame({
        type: CommandType.CONNECTED,
        connected: { server_version: 'Pulsar 4.0.8', protocol_version: 21, max_message_size: 5_242_880 },
      }),
    },
    { name: 'PING', bytes: encodeCommandFrame({ type: CommandType.PING, ping: {} }) },
    {
      name: 'LOOKUP_RESPONSE',
      bytes: encodeCommandFrame({
        type: CommandType.LOOKUP_RESPONSE,
        lookupTopicResponse: { brokerServiceUrl: 'pulsar://127.0.0.1:6650', response: 1, request_id: 9, authoritative: true },
      }),
    },
    {
      name: 'PARTITIONED_METADATA_RESPONSE',
      bytes: encodeCommandFrame({ type: CommandType.PARTITIONED_METADATA_RESPONSE, partitionMetadataResponse: { partitions: 3, request_id: 4 } }),
    },
    {
      name: 'PRODUCER_SUCCESS',
      bytes: encodeCommandFrame({
        type: CommandType.PRODUCER_SUCCESS,
        producer_success: { request_id: 2, producer_name: 'p', last_sequence_id: -1, schema_version: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]) },
      }),
    },
    {
      name: 'SEND_RECEIPT',
      bytes: encodeCommandFrame({ type: CommandType.SEND_RECEIPT, send_receipt: { producer_id: 1, sequence_id: 42, message_id: messageId } }),
    },
    {
      name: 'SEND_ERROR',
      bytes: encodeCommandFrame({ type: CommandType.SEND_ERROR, send_error: { producer_id: 1, sequence_id: 43, error: 9, message: 'checksum' } }),
    },
    { name: 'ERROR', bytes: encodeCommandFrame({ type: CommandType.ERROR, error: { request_id: 5, error: 4, message: 'not authorized' } }) },
    {
      name: 'SUBSCRIBE',
      bytes: encodeCommandFrame({
        type: CommandType.SUBSCRIBE,
        subscribe: { topic: 'persistent://t/n/x', subscription: 's', subType: 1, consumer_id: 1, request_id: 3 },
      } as BaseCommand),
    },
    {
      name: 'ACK',
      bytes: encodeCommandFrame({
        type: CommandType.ACK,
        ack: { consumer_id: 1, ack_type: 0, message_id: [messageId, { ledgerId: 12n, entryId: 35n, ack_set: [-2n] }] },
      }),
    },
    {
      name: 'GET_LAST_MESSAGE_ID_RESPONSE',
      bytes: encodeCommandFrame({
        type: CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
        getLastMessageIdResponse: { last_message_id: { ledgerId: -1n, entryId: -1n }, request_id: 8 },
      }),
    },
    {
      name: 'GET_SCHEMA_RESPONSE',
      bytes: encodeCommandFrame({
        type: CommandType.GET_SCHEMA_RESPONSE,
        getSchemaResponse: {
          request_id: 6,
          schema: { name: 'x', type: 4, schema_data: Buffer.from('{"type":"record","name":"E","fields":[]}') },
          schema_version: Buffer.alloc(8),
        },
      }),
    },
    {
      name: 'SEND',
      bytes: encodePayloadFrame({ type: CommandType.SEND, send: { producer_id: 1, sequence_id: 42 } }, metadata, Buffer.from('avro bytes \x02\x04')),
    },
    {
      name: 'MESSAGE',
      bytes: encodePayloadFrame(
        { type: CommandType.MESSAGE, message: { consumer_id: 1, message_id: messageId, redelivery_count: 2 } },
        metadata,
        Buffer.from('payload'),
      ),
    },
    {
      name: 'MESSAGE(batch)',
      bytes: encodePayloadFrame(
        { type: CommandType.MESSAGE, message: { consumer_id: 1, message_id: messageId } },
        { ...metadata, num_messages_in_batch: 3 },
        batch,
      ),
    },
  ];
  list.push({ name: 'MESSAGE(broker entry metadata)', bytes: withBrokerEntryMetadata(list[list.length - 2]!.bytes) });
  return list;
}

// ---------------------------------------------------------------------------------------
// Mutations

type Mutator = (b: Buffer, rng: Rng) => Buffer;

const INTERESTING_U32 = [0, 1, 3, 4, 5, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

const mutators: Record<string, Mutator> = {
  flipBit: (b, rng) => {
    const c = Buffer.from(b);
    const i = rng.int(c.length);
    c[i] = c[i]! ^ (1 << rng.int(8));
    return c;
  },
  setByte: (b, rng) => {
    const c = Buffer.from(b);
    c[rng.int(c.length)] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(256)]);
    return c;
  },
  setU32: (b, rng) => {
    // Size fields are where parsers usually fall over: hit the known ones and random offsets.
    const c = Buffer.from(b);
    if (c.length < 4) return c;
    const cmdSize = c.length >= 8 ? c.readUInt32BE(4) : 0;
    const spots = [0, 4, 8 + cmdSize + 2, 8 + cmdSize + 6, rng.int(c.length - 3)].filter((o) => o + 4 <= c.length);
    c.writeUInt32BE(rng.pick(INTERESTING_U32), rng.pick(spots));
    return c;
  },
  truncate: (b, rng) => b.subarray(0, rng.int(b.length)),
  truncateKeepSize: (b, rng) => {
    // Shorter body with totalSize rewritten to match, so the inner sizes are what lies.
    const c = Buffer.from(b.subarray(0, 4 + rng.int(Math.max(1, b.length - 4))));
    if (c.length >= 4) c.writeUInt32BE(c.length - 4, 0);
    return c;
  },
  insert: (b, rng) => {
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 16)), b.subarray(at)]);
  },
  delete: (b, rng) => {
    const at = rng.int(b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.range(1, 8)))]);
  },
  duplicate: (b, rng) => {
    const at = rng.int(b.length);
    const len = rng.range(1, Math.min(32, b.length - at));
    return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
  },
  randomTail: (b, rng) => {
    const at = rng.int(b.length);
    return Buffer.concat([b.subarray(0, at), rng.bytes(b.length - at)]);
  },
};

function mutate(b: Buffer, rng: Rng): { bytes: Buffer; how: string[] } {
  const names = Object.keys(mutators);
  const how: string[] = [];
  let out = b;
  const rounds = rng.chance(0.7) ? 1 : rng.range(2, 4);
  for (let i = 0; i < rounds && out.length > 0; i++) {
    const name = rng.pick(names);
    how.push(name);
    out = mutators[name]!(out, rng);
  }
  return { bytes: out, how };
}

// ---------------------------------------------------------------------------------------
// Outcome bookkeeping

interface Tally {
  cases: number;
  outcomes: Record<string, number>;
  crashes: { input: string; how?: string; error: string }[];
  /** Frames that decoded although the type names a sub-command that is absent. */
  decodedWithoutSubCommand: number;
}

const tallies: Record<string, Tally> = {};

function tally(category: string): Tally {
  return (tallies[category] ??= { cases: 0, outcomes: {}, crashes: [], decodedWithoutSubCommand: 0 });
}

function count(t: Tally, outcome: string): void {
  t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + 1;
}

/** Run one input through `fn`: a typed protocol error or a result is fine, anything else is a crash. */
function attempt<T>(t: Tally, input: Buffer, how: string | undefined, fn: () => T): T | undefined {
  t.cases++;
  try {
    const r = fn();
    count(t, 'decoded');
    return r;
  } catch (err) {
    if (err instanceof ProtocolError && err instanceof MisoError && err.message.length > 0) {
      count(t, err.constructor.name);
      return undefined;
    }
    count(t, 'CRASH');
    if (t.crashes.length < 20)
      t.crashes.push({ input: input.subarray(0, 256).toString('hex'), ...(how ? { how } : {}), error: String((err as Error)?.stack ?? err) });
    return undefined;
  }
}

function checkSubCommand(t: Tally, f: Frame): void {
  const field = subCommandField(f.command.type);
  if (field !== undefined && f.command[field] === undefined) t.decodedWithoutSubCommand++;
}

/** Everything a consumer would do with a decoded frame: batches are split too. */
function decodeFully(body: Buffer): Frame {
  const f = decodeFrame(body);
  const n = f.payload?.metadata.num_messages_in_batch;
  if (f.payload && n !== undefined) decodeBatchPayload(f.payload.payload, Math.min(n, 10_000));
  return f;
}

const PING = encodeCommandFrame({ type: CommandType.PING, ping: {} });

describe('protocol codec under hostile input', () => {
  const valid = corpus();

  it('round-trips the corpus (the mutations start from frames that decode)', () => {
    for (const { name, bytes } of valid) {
      const f = decodeFully(bytes.subarray(4));
      expect(f.command.type, name).toBeGreaterThan(0);
      expect(bytes.readUInt32BE(0), name).toBe(bytes.length - 4);
    }
  });

  it(`decodeFrame on ${CASES} random buffers: only typed errors`, () => {
    const rng = new Rng(SEED);
    const t = tally('random bytes → decodeFrame');
    for (let i = 0; i < CASES; i++) {
      const body = rng.bytes(rng.pick([0, 1, 3, 4, 5, 8, 16, 64, 300]) + rng.int(8));
      // Half the time make the command size plausible and start the command with a type
      // field, so decoding gets past the first checks into the sub-command tables.
      if (body.length >= 6 && rng.chance(0.5)) {
        body.writeUInt32BE(rng.range(2, body.length - 4), 0);
        body[4] = 0x08;
        body[5] = rng.range(2, 70);
      }
      const f = attempt(t, body, undefined, () => decodeFully(body));
      if (f) checkSubCommand(t, f);
    }
    expect(t.crashes).toEqual([]);
    expect(t.cases).toBe(CASES);
  });

  it(`decodeFrame on ${CASES} mutated valid frames: only typed errors`, () => {
    const rng = new Rng(SEED + 1);
    const t = tally('mutated frames → decodeFrame');
    for (let i = 0; i < CASES; i++) {
      const base = rng.pick(valid);
      const { bytes, how } = mutate(base.bytes, rng);
      const body = bytes.subarray(Math.min(4, bytes.length));
      const f = attempt(t, body, `${base.name}: ${how.join('+')}`, () => decodeFully(body));
      if (f) checkSubCommand(t, f);
    }
    expect(t.crashes).toEqual([]);
    // The mutations must actually bite: most cases end in a typed error, not all in success.
    expect(t.outcomes.decoded ?? 0).toBeLessThan(CASES);
    expect(Object.keys(t.outcomes).filter((k) => k !== 'decoded').length).toBeGreaterThanOrEqual(2);
  });

  it(`FrameParser on ${CASES} mutated streams in random chunks: no throw, typed errors, resynchronises`, () => {
    const rng = new Rng(SEED + 2);
    const t = tally('mutated streams → FrameParser');
    let resyncChecks = 0;
    for (let i = 0; i < CASES; i++) {
      const base = rng.pick(valid);
      const { bytes, how } = mutate(base.bytes, rng);
      // A damaged frame followed by a good PING, fed in random chunk sizes (one byte included).
      const stream = Buffer.concat([bytes, PING]);
      const frames: Frame[] = [];
      const errors: { err: unknown; fatal: boolean }[] = [];
      const parser = new FrameParser({
        maxFrameSize: 1 << 20,
        onFrame: (f) => frames.push(f),
        onError: (err, info) => errors.push({ err, fatal: info.fatal }),
      });
      t.cases++;
      try {
        for (let pos = 0; pos < stream.length;) {
          const n = rng.chance(0.2) ? 1 : rng.range(1, 64);
          parser.push(stream.subarray(pos, pos + n));
          pos += n;
        }
      } catch (err) {
        count(t, 'CRASH');
        if (t.crashes.length < 20)
          t.crashes.push({ input: bytes.subarray(0, 256).toString('hex'), how: `${base.name}: ${how.join('+')}`, error: String((err as Error)?.stack ?? err) });
        continue;
      }
      for (const e of errors) {
        if (!(e.err instanceof ProtocolError)) {
          count(t, 'CRASH');
          t.crashes.push({ input: bytes.subarray(0, 256).toString('hex'), how: `${base.name}: ${how.join('+')}`, error: `onError got ${String(e.err)}` });
        }
      }
      for (const f of frames) checkSubCommand(t, f);
      const fatal = errors.some((e) => e.fatal);
      count(t, fatal ? 'stream closed (fatal)' : errors.length > 0 ? 'frame dropped, stream continues' : 'all frames decoded');
      // The outer size still matches the bytes: whatever happened inside, the PING after it arrives.
      if (bytes.length >= 4 && bytes.readUInt32BE(0) === bytes.length - 4 && bytes.length - 4 <= parser.maxFrameSize && bytes.length >= 8) {
        resyncChecks++;
        expect(fatal, `${base.name}: ${how.join('+')}`).toBe(false);
        expect(frames.at(-1)?.command.type, `${base.name}: ${how.join('+')}`).toBe(CommandType.PING);
        expect(parser.pendingBytes).toBe(0);
      }
    }
    expect(t.crashes).toEqual([]);
    expect(resyncChecks).toBeGreaterThan(CASES / 4);
  });

  it(`decodeMessage of every message table on ${CASES} random and mutated bodies: only typed errors`, () => {
    const rng = new Rng(SEED + 3);
    const t = tally('protobuf messages → decodeMessage');
    const tables: MessageDef[] = [BaseCommandDef, MessageMetadataDef, SingleMessageMetadataDef, BrokerEntryMetadataDef];
    for (const v of Object.values(defs)) if (v && typeof v === 'object' && 'byNo' in v && 'fields' in v) tables.push(v as MessageDef);
    // Valid encodings to mutate: each table with its required fields at their zero value.
    const seeds = tables.map((def) => encodeMessage(def, {}));
    for (let i = 0; i < CASES; i++) {
      const k = rng.int(tables.length);
      const body = rng.chance(0.5) ? rng.bytes(rng.range(0, 48)) : mutate(Buffer.concat([seeds[k]!, rng.bytes(rng.range(0, 12))]), rng).bytes;
      attempt(t, body, tables[k]!.name, () => decodeMessage(tables[k]!, body));
    }
    expect(t.crashes).toEqual([]);
  });

  it('batch splitting survives lying entry sizes and counts (the cursor the consumer reads batches with)', () => {
    const rng = new Rng(SEED + 4);
    const t = tally('batch payloads → BatchEntryCursor');
    const batch = encodeBatchPayload([
      { payload: Buffer.from('one'), key: 'k1', eventTime: 5, sequenceId: 9 },
      { properties: { a: 'b' }, payload: Buffer.from('two two') },
    ]);
    for (let i = 0; i < CASES; i++) {
      const body = mutate(batch, rng).bytes;
      const n = rng.pick([0, 1, 2, 3, 100, 0x7fffffff, -1]);
      attempt(t, body, `count ${n}`, () => {
        const c = new BatchEntryCursor(body, n);
        let seen = 0;
        while (c.next()) {
          // What the consumer touches per entry.
          void c.payload.length;
          void c.partitionKey;
          void c.sequenceId;
          if (++seen > 1_000_000) throw new Error('cursor does not end');
        }
        return seen;
      });
    }
    expect(t.crashes).toEqual([]);
  });

  it('batch splitting survives lying entry sizes and counts (decodeBatchPayload)', () => {
    const rng = new Rng(SEED + 4);
    const t = tally('batch payloads → decodeBatchPayload');
    const batch = encodeBatchPayload([{ payload: Buffer.from('one') }, { properties: { a: 'b' }, payload: Buffer.from('two two') }]);
    for (let i = 0; i < CASES; i++) {
      const body = mutate(batch, rng).bytes;
      const n = rng.pick([0, 1, 2, 3, 100, 0x7fffffff, -1]);
      attempt(t, body, `count ${n}`, () => decodeBatchPayload(body, n));
    }
    expect(t.crashes).toEqual([]);
  });

  afterAll(() => {
    const rows = Object.entries(tallies).map(([cat, t]) => [
      cat,
      t.cases,
      t.outcomes.CRASH ?? 0,
      Object.entries(t.outcomes)
        .filter(([k]) => k !== 'CRASH')
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      t.decodedWithoutSubCommand,
    ]);
    writeReport(
      'hostile-codec',
      { seed: SEED, casesPerCategory: CASES, categories: tallies },
      [
        '# Hostile input: protocol codec',
        '',
        `Seed ${SEED}, ${CASES} cases per category. Reproduce: \`MISO_FUZZ_SEED=${SEED} MISO_FUZZ_CASES=${CASES} npx vitest run test/hostile/codec-fuzz.test.ts\`.`,
        '',
        mdTable(['category', 'inputs', 'crashes', 'outcomes', 'decoded without sub-command'], rows),
        '',
        '"decoded without sub-command": the frame parsed, but its type names a sub-command that is absent; the connection must not trust it (see test/hostile/hostile-peer.test.ts).',
      ].join('\n'),
    );
  });
});
