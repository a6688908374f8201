/**
 * The client's connection against a hostile peer: a plain TCP server (not a Pulsar stand-in:
 * it claims nothing, it misbehaves) that completes or botches the handshake and then sends
 * mutated frames. The process must never crash; each case ends with the connection either
 * still answering (a PING gets its PONG) or closed with a typed error.
 *
 * Report: test-output/hostile-peer.{json,md}.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MisoError } from '../../src/errors.js';
import { Connection } from '../../src/pulsar/connection.js';
import { sleep } from '../../src/util/wait.js';
import { eventually } from '../support/env.js';
import { CommandType, encodeCommandFrame, encodePayloadFrame, FrameParser, type BaseCommand } from '../../src/pulsar/protocol/index.js';
import { mdTable, writeReport } from './report.js';
import { fuzzCases, fuzzSeed, Rng } from './rng.js';

const SEED = fuzzSeed(777);
const CASES = Math.min(fuzzCases(150), 5000);

type Script = (sock: net.Socket, rng: Rng) => void;

interface PeerCase {
  name: string;
  script: Script;
}

const CONNECTED = encodeCommandFrame({ type: CommandType.CONNECTED, connected: { server_version: 'hostile', protocol_version: 21 } });
const PING = encodeCommandFrame({ type: CommandType.PING, ping: {} });

/** Frames a broker could send after the handshake, as raw material for mutation. */
function brokerFrames(): Buffer[] {
  const mid = { ledgerId: 1n, entryId: 2n };
  const meta = { producer_name: 'p', sequence_id: 1n, publish_time: 1, properties: [{ key: 'type', value: 'x' }] };
  return [
    encodePayloadFrame({ type: CommandType.MESSAGE, message: { consumer_id: 1, message_id: mid } }, meta, Buffer.from('hello')),
    encodeCommandFrame({ type: CommandType.SEND_RECEIPT, send_receipt: { producer_id: 1, sequence_id: 1, message_id: mid } }),
    encodeCommandFrame({ type: CommandType.SUCCESS, success: { request_id: 1 } }),
    encodeCommandFrame({ type: CommandType.ERROR, error: { request_id: 1, error: 6, message: 'not ready' } }),
    encodeCommandFrame({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: 1, request_id: 2 } }),
    encodeCommandFrame({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: 1, request_id: 3 } }),
    encodeCommandFrame({ type: CommandType.ACTIVE_CONSUMER_CHANGE, active_consumer_change: { consumer_id: 1, is_active: true } }),
    encodeCommandFrame({ type: CommandType.REACHED_END_OF_TOPIC, reachedEndOfTopic: { consumer_id: 1 } }),
    encodeCommandFrame({
      type: CommandType.AUTH_CHALLENGE,
      authChallenge: { server_version: 'x', challenge: { auth_method_name: 'token', auth_data: Buffer.alloc(0) } },
    } as BaseCommand),
    encodeCommandFrame({ type: CommandType.TOPIC_MIGRATED, topicMigrated: { resource_id: 1, resource_type: 0 } }),
    encodeCommandFrame({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: 1, response: 1, brokerServiceUrl: 'pulsar://x:1' } }),
  ];
}

/** A frame whose type names a sub-command it does not carry: BaseCommand{type} only. */
function bareCommand(type: number): Buffer {
  const body = Buffer.from([0x08, type]);
  const out = Buffer.alloc(8);
  out.writeUInt32BE(body.length + 4, 0);
  out.writeUInt32BE(body.length, 4);
  return Buffer.concat([out, body]);
}

function mutateOnce(b: Buffer, rng: Rng): Buffer {
  const c = Buffer.from(b);
  switch (rng.int(4)) {
    case 0:
      {
        const i = rng.int(c.length);
        c[i] = c[i]! ^ (1 << rng.int(8));
      }
      return c;
    case 1:
      c[rng.range(8, c.length - 1)] = rng.int(256);
      return c;
    case 2: {
      // Keep the outer size honest, damage the inside.
      const cut = rng.range(9, c.length);
      const t = Buffer.from(c.subarray(0, cut));
      t.writeUInt32BE(t.length - 4, 0);
      return t;
    }
    default:
      return Buffer.concat([c.subarray(0, 8), rng.bytes(c.length - 8)]);
  }
}

const frames = brokerFrames();
const TYPES_WITH_SUB = [3, 7, 8, 9, 13, 14, 15, 16, 17, 22, 24, 27, 30, 31, 35, 36, 38, 68];

const fixedCases: PeerCase[] = [
  { name: 'garbage instead of CONNECTED', script: (s, rng) => s.write(rng.bytes(64)) },
  { name: 'huge frame size announced', script: (s) => s.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0])) },
  { name: 'frame size 0', script: (s) => s.write(Buffer.alloc(8)) },
  { name: 'CONNECTED cut in half, then close', script: (s) => s.end(CONNECTED.subarray(0, 7)) },
  {
    name: 'ERROR instead of CONNECTED',
    script: (s) => s.write(encodeCommandFrame({ type: CommandType.ERROR, error: { request_id: 0, error: 3, message: 'auth' } })),
  },
  { name: 'HTTP response on the binary port', script: (s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n') },
  { name: 'TLS alert on a plain port', script: (s) => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])) },
  { name: 'silence (never answers)', script: () => {} },
  ...TYPES_WITH_SUB.map((type) => ({
    name: `CONNECTED, then type ${type} without its sub-command`,
    script: ((s) => s.write(Buffer.concat([CONNECTED, bareCommand(type), PING]))) as Script,
  })),
];

interface Outcome {
  case: string;
  result: string;
}

const outcomes: Outcome[] = [];
let server: net.Server;
let port = 0;
let nextScript: Script = () => {};
let pongs = 0;
const rng = new Rng(SEED);

beforeAll(async () => {
  server = net.createServer((sock) => {
    sock.on('error', () => {});
    const parser = new FrameParser({
      onFrame: (f) => {
        if (f.command.type === CommandType.CONNECT) nextScript(sock, rng);
        if (f.command.type === CommandType.PONG) pongs++;
      },
      onError: () => sock.destroy(),
    });
    sock.on('data', (d: Buffer) => parser.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  const byResult = new Map<string, number>();
  for (const o of outcomes) byResult.set(o.result, (byResult.get(o.result) ?? 0) + 1);
  writeReport(
    'hostile-peer',
    { seed: SEED, cases: outcomes.length, crashes: outcomes.filter((o) => o.result.startsWith('CRASH')).length, outcomes },
    [
      '# Hostile input: a misbehaving peer on the binary port',
      '',
      `Seed ${SEED}; ${outcomes.length} connections. Reproduce: \`MISO_FUZZ_SEED=${SEED} npx vitest run test/hostile/hostile-peer.test.ts\`.`,
      '',
      mdTable(
        ['outcome', 'connections'],
        [...byResult.entries()].sort((a, b) => b[1] - a[1]),
      ),
      '',
      '## Scripted cases',
      '',
      mdTable(
        ['case', 'outcome'],
        outcomes.filter((o) => !o.case.startsWith('random')).map((o) => [o.case, o.result]),
      ),
    ].join('\n'),
  );
});

/** One connection against the peer's script; the outcome as a short word. */
async function runCase(name: string, script: Script): Promise<string> {
  nextScript = script;
  const before = pongs;
  const unexpected: unknown[] = [];
  const onUncaught = (err: unknown) => unexpected.push(err);
  process.on('uncaughtException', onUncaught);
  let result: string;
  try {
    const conn = await Connection.open({
      physical: { url: `pulsar://127.0.0.1:${port}`, host: '127.0.0.1', port, tls: false },
      connectionTimeoutMs: 500,
      operationTimeoutMs: 500,
      // Short keep-alive: a peer that lied about a frame size and went quiet is detected as dead.
      keepAliveIntervalMs: 200,
      log: () => {},
    });
    // The peer's bytes may all arrive with CONNECTED, so the connection can be torn down
    // before open() returns: onClose would then never fire.
    const closed = conn.isClosed ? Promise.resolve(new Error('closed right after the handshake')) : new Promise<Error | undefined>((r) => conn.onClose(r));
    // The peer follows its frames with a PING: a live connection answers PONG.
    const settled = await Promise.race([
      closed.then((e) =>
        conn.isClosed && e?.message === 'closed right after the handshake'
          ? 'closed: ProtocolError right after the handshake'
          : `closed: ${e?.constructor.name ?? 'by client'}`,
      ),
      waitFor(() => pongs > before, 5000).then((ok) => (ok ? 'alive (answered PING)' : 'HANG: neither PONG nor close')),
    ]);
    conn.close();
    result = settled;
  } catch (err) {
    result = err instanceof MisoError ? `refused: ${err.constructor.name}` : `CRASH: ${String(err)}`;
  } finally {
    // Let socket callbacks of this case run before judging it.
    await sleep(20);
    process.off('uncaughtException', onUncaught);
  }
  if (unexpected.length > 0) result = `CRASH: ${String(unexpected[0])}`;
  outcomes.push({ case: name, result });
  return result;
}

function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  return eventually(check, { timeoutMs: ms, intervalMs: 10 });
}

describe('connection against a hostile peer', () => {
  for (const c of fixedCases) {
    it(c.name, async () => {
      const result = await runCase(c.name, c.script);
      // Dropping the frame (still alive) or closing with a typed error are both fine.
      expect(result).toMatch(/^(alive|closed: [A-Z]\w+Error|refused: [A-Z]\w+Error)/);
    });
  }

  it(`${CASES} connections fed mutated broker frames: no crash, typed outcomes`, async () => {
    const crashes: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const burst = Array.from({ length: rng.range(1, 6) }, () => mutateOnce(rng.pick(frames), rng));
      const result = await runCase(`random #${i}`, (s) => s.write(Buffer.concat([CONNECTED, ...burst, PING])));
      if (!/^(alive|closed: [A-Z]\w+Error|refused: [A-Z]\w+Error)/.test(result)) crashes.push(`case ${i}: ${result}`);
    }
    expect(crashes).toEqual([]);
  }, 120_000);
});
