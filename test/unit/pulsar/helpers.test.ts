import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/errors.js';
import {
  brokerError,
  BrokerAuthenticationError,
  ProducerBusyError,
  ServiceNotReadyError,
  TopicNotFoundError,
  ServerErrorCode,
} from '../../../src/pulsar/errors.js';
import { javaStringHash } from '../../../src/pulsar/partitioned-producer.js';
import { fromProtoSchema, toProtoSchema } from '../../../src/pulsar/schema.js';
import { Backoff, StatusStream, type ConnectionStatus } from '../../../src/pulsar/status.js';
import { baseTopicName, fullTopicName, localTopicName, partitionIndexOf, partitionTopicName } from '../../../src/pulsar/topic-name.js';
import { parseServiceUrl } from '../../../src/pulsar/url.js';
import { AuthError } from '../../../src/errors.js';

describe('service URLs', () => {
  it('parses hosts, default ports and TLS', () => {
    expect(parseServiceUrl('pulsar://localhost')).toEqual([{ url: 'pulsar://localhost:6650', host: 'localhost', port: 6650, tls: false }]);
    expect(parseServiceUrl('pulsar+ssl://b1:7000,b2')).toEqual([
      { url: 'pulsar+ssl://b1:7000', host: 'b1', port: 7000, tls: true },
      { url: 'pulsar+ssl://b2:6651', host: 'b2', port: 6651, tls: true },
    ]);
    expect(parseServiceUrl('pulsar://[::1]:6650/')[0]).toMatchObject({ host: '::1', port: 6650, url: 'pulsar://[::1]:6650' });
  });

  it('rejects what is not a Pulsar URL with a config error', () => {
    for (const bad of ['http://x:6650', 'pulsar://', 'pulsar://h:0', 'pulsar://h:99999', 'h:6650']) expect(() => parseServiceUrl(bad)).toThrow(ConfigError);
  });
});

describe('topic names', () => {
  it('completes short names like Pulsar does', () => {
    expect(fullTopicName('orders')).toBe('persistent://public/default/orders');
    expect(fullTopicName('t/ns/orders')).toBe('persistent://t/ns/orders');
    expect(fullTopicName('non-persistent://t/ns/x')).toBe('non-persistent://t/ns/x');
    for (const bad of ['', 'a/b', 'http://t/n/x', 'a//b']) expect(() => fullTopicName(bad)).toThrow(UsageError);
  });

  it('names partitions and finds the partition index', () => {
    const p = partitionTopicName('persistent://t/n/x', 2);
    expect(p).toBe('persistent://t/n/x-partition-2');
    expect(partitionIndexOf(p)).toBe(2);
    expect(partitionIndexOf('persistent://t/n/x')).toBe(-1);
    expect(baseTopicName(p)).toBe('persistent://t/n/x');
    expect(localTopicName(p)).toBe('x-partition-2');
  });
});

describe('key routing', () => {
  it("matches Java's String.hashCode (non-negative)", () => {
    // Values of "…".hashCode() in Java.
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('abc')).toBe(96354);
    expect(javaStringHash('hello')).toBe(99162322);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE; & MAX_VALUE gives 0.
    expect(javaStringHash('polygenelubricants')).toBe(0);
    // "campaign-42".hashCode() overflows int; Pulsar masks the sign bit.
    expect(javaStringHash('campaign-42')).toBeGreaterThanOrEqual(0);
  });
});

describe('schema info', () => {
  it('maps type names to protocol codes and back', () => {
    const proto = toProtoSchema({ type: 'AVRO', schema: '{"type":"string"}', properties: { a: 'b' } }, 'topic');
    expect(proto).toEqual({ name: 'topic', schema_data: Buffer.from('{"type":"string"}'), type: 4, properties: [{ key: 'a', value: 'b' }] });
    expect(fromProtoSchema(proto)).toEqual({ type: 'AVRO', name: 'topic', schema: '{"type":"string"}', properties: { a: 'b' } });
    expect(fromProtoSchema({ name: 'x', schema_data: Buffer.alloc(0), type: 0 }).type).toBe('BYTES');
    expect(fromProtoSchema({ name: 'x', schema_data: Buffer.alloc(0), type: 1 }).type).toBe('STRING');
  });
});

describe('broker errors', () => {
  it('maps ServerError codes to typed, user-facing errors', () => {
    const auth = brokerError(ServerErrorCode.AuthenticationError, 'bad token', 'connecting');
    expect(auth).toBeInstanceOf(BrokerAuthenticationError);
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth.hint).toMatch(/token/);
    const busy = brokerError(ServerErrorCode.ProducerBusy, 'name taken', 'creating a producer');
    expect(busy).toBeInstanceOf(ProducerBusyError);
    expect(busy.message).toBe('creating a producer failed (ProducerBusy): name taken');
    expect(brokerError(ServerErrorCode.TopicNotFound, '', 'x')).toBeInstanceOf(TopicNotFoundError);
    const notReady = brokerError(ServerErrorCode.ServiceNotReady, 'loading', 'x');
    expect(notReady).toBeInstanceOf(ServiceNotReadyError);
    expect(notReady.retriable).toBe(true);
    expect(brokerError(ServerErrorCode.IncompatibleSchema, '', 'x').retriable).toBe(false);
    expect(brokerError(999, 'odd', 'x').message).toMatch(/UnknownError/);
  });
});

describe('status stream and backoff', () => {
  it('tells listeners and iterators about changes until closed', async () => {
    const s = new StatusStream();
    expect(s.current.state).toBe('idle');
    const seen: ConnectionStatus[] = [];
    const off = s.on('status', (st) => seen.push(st));
    const iterated: string[] = [];
    const iterating = (async () => {
      for await (const st of s) iterated.push(st.state);
    })();
    await Promise.resolve();
    s.emit({ state: 'connected', broker: 'pulsar://b:6650' });
    s.emit({ state: 'reconnecting', attempt: 1, retryInMs: 100 });
    off();
    s.emit({ state: 'connected' });
    s.emit({ state: 'closed' });
    s.emit({ state: 'connected' }); // ignored after closed
    await iterating;
    expect(seen.map((x) => x.state)).toEqual(['connected', 'reconnecting']);
    expect(iterated).toEqual(['connected', 'reconnecting', 'connected', 'closed']);
    expect(s.current.state).toBe('closed');
  });

  it('backs off exponentially with jitter up to the cap', () => {
    const b = new Backoff(100, 1000);
    const delays = Array.from({ length: 8 }, () => b.next());
    const bases = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i]! * 0.9);
      expect(d).toBeLessThanOrEqual(bases[i]! * 1.1);
    });
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(110);
  });
});
