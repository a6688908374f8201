/**
 * PulsarClient: owns the connection pool, topic lookup, the schema cache and every
 * producer/consumer/reader it created, and publishes a connection-status stream.
 */
import { UnreachableError, UsageError } from '../errors.js';
import { Backoff, retry } from '../util/wait.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { ConsumerImpl, type ConsumerOptions } from './consumer.js';
import type { ClientContext, Closable } from './context.js';
import { AlreadyClosedError, brokerError, TopicNotFoundError } from './errors.js';
import { MultiTopicConsumer } from './multi-consumer.js';
import { PartitionedProducer } from './partitioned-producer.js';
import { ProducerImpl, type ProducerOptions } from './producer.js';
import { CommandType } from './protocol/commands.js';
import { LookupType, type CommandGetSchema } from './protocol/definitions.js';
import { PartitionedReader, ReaderImpl, type ReaderOptions } from './reader.js';
import { fromProtoSchema } from './schema.js';
import { StatusStream } from './status.js';
import { fullTopicName, partitionTopicName } from './topic-name.js';
import type { Consumer, Producer, Reader, SchemaInfo } from './types.js';
import { parseBrokerUrl, parseServiceUrl, type BrokerAddress } from './url.js';

export interface PulsarClientOptions {
  serviceUrl: string;
  token?: string;
  tlsTrustCertsFile?: string;
  tlsAllowInsecure?: boolean;
  /** Timeout of each request to the broker (lookup, create, ...). Default 30 s. */
  operationTimeoutMs?: number;
  /** Timeout to open a connection, TLS and handshake included. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Idle time before a PING; twice that without traffic closes the connection. Default 30 s. */
  keepAliveIntervalMs?: number;
  /**
   * Reconnect backoff: 100 ms doubling up to `maxDelayMs` (default 1 s). After a broker dies
   * its topics stay unowned for the metadata session timeout and then move at once; a long
   * ceiling would add up to itself on top of that (the Java client's 60 s adds ~20 s), while
   * an attempt is only a lookup on the service URL.
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Diagnostic lines (verbose mode); silent when omitted. */
  log?: (line: string) => void;
}

export interface SubscribeOptions {
  topic: string | string[];
  subscription: string;
  type?: ConsumerOptions['type'];
  initialPosition?: 'latest' | 'earliest';
  receiverQueueSize?: number;
  nackRedeliveryDelayMs?: number;
  deadLetter?: { maxRedeliverCount: number; topic?: string };
  consumerName?: string;
}

const MAX_REDIRECTS = 20;

export class PulsarClient {
  /** Connection status: `status.current`, `status.on('status', cb)`, or iterate it. */
  readonly status = new StatusStream();
  private readonly addresses: BrokerAddress[];
  private addressIndex = 0;
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly handles = new Set<Closable>();
  private readonly reconnectingHandles = new Set<object>();
  private readonly schemaCache = new Map<string, Promise<SchemaInfo | undefined>>();
  private ids = { request: 0, producer: 0, consumer: 0 };
  private closed = false;
  private readonly opts: Required<Pick<PulsarClientOptions, 'operationTimeoutMs' | 'connectionTimeoutMs' | 'keepAliveIntervalMs'>> & PulsarClientOptions;
  private readonly log: (line: string) => void;
  /** Passed to producers/consumers: the part of the client they may use. */
  private readonly ctx: ClientContext;

  constructor(opts: PulsarClientOptions) {
    this.addresses = parseServiceUrl(opts.serviceUrl);
    this.opts = { operationTimeoutMs: 30_000, connectionTimeoutMs: 10_000, keepAliveIntervalMs: 30_000, ...opts };
    this.log = opts.log ?? (() => {});
    this.ctx = {
      nextId: (kind) => ++this.ids[kind],
      connectionFor: (topic) => this.connectionFor(topic),
      serviceConnection: () => this.serviceConnection(),
      log: this.log,
      retryStartup: (fn, what) => this.retryStartup(fn, what),
      reconnecting: (h) => this.markReconnecting(h),
      reportRetry: (what, attempt, delay) => this.status.emit({ state: 'reconnecting', broker: what, attempt, retryInMs: delay }),
      reconnectMaxDelayMs: opts.reconnect?.maxDelayMs ?? 1000,
      unregister: (h) => this.handles.delete(h),
      getSchema: (topic, version) => this.getSchema(topic, version),
      createProducer: (o) => this.createProducer(o),
    };
  }

  get serviceUrl(): string {
    return this.opts.serviceUrl;
  }

  // -------------------------------------------------------------------------------------
  // Public API

  async createProducer(opts: ProducerOptions): Promise<Producer> {
    this.assertOpen();
    const topic = fullTopicName(opts.topic);
    const partitions = await this.partitionCount(topic);
    let producer: ProducerImpl | PartitionedProducer;
    if (partitions > 0) producer = new PartitionedProducer(this.ctx, { ...opts, topic }, partitions);
    else producer = new ProducerImpl(this.ctx, { ...opts, topic });
    this.handles.add(producer);
    try {
      await producer.start();
    } catch (err) {
      this.handles.delete(producer);
      await producer.close().catch(() => {});
      throw err;
    }
    return producer;
  }

  async subscribe(opts: SubscribeOptions): Promise<Consumer> {
    this.assertOpen();
    if (!opts.subscription || opts.subscription.trim() === '') throw new UsageError('a subscription name is required');
    const topics = (Array.isArray(opts.topic) ? opts.topic : [opts.topic]).map(fullTopicName);
    if (topics.length === 0) throw new UsageError('subscribe needs at least one topic');
    const dlq = opts.deadLetter;
    if (dlq && (!Number.isInteger(dlq.maxRedeliverCount) || dlq.maxRedeliverCount < 1)) {
      throw new UsageError('deadLetter.maxRedeliverCount must be a positive integer');
    }
    const parts: { topic: string; parent: string }[] = [];
    for (const t of topics) {
      const n = await this.partitionCount(t);
      if (n > 0) for (let i = 0; i < n; i++) parts.push({ topic: partitionTopicName(t, i), parent: t });
      else parts.push({ topic: t, parent: t });
    }
    const make = (p: { topic: string; parent: string }, receiverQueueSize?: number) => {
      const o: ConsumerOptions = { ...opts, topic: p.topic, parentTopic: p.parent };
      if (receiverQueueSize !== undefined) o.receiverQueueSize = receiverQueueSize;
      return new ConsumerImpl(this.ctx, o);
    };
    let consumer: ConsumerImpl | MultiTopicConsumer;
    if (parts.length === 1 && !Array.isArray(opts.topic)) {
      consumer = make(parts[0]!);
    } else {
      // Each partition gets a share of the queue so the total stays near the requested size.
      const per = Math.max(1, Math.ceil((opts.receiverQueueSize ?? 1000) / parts.length));
      consumer = new MultiTopicConsumer(
        topics.join(','),
        opts.subscription,
        parts.map((p) => make(p, per)),
      );
    }
    this.handles.add(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.handles.delete(consumer);
      await consumer.close().catch(() => {});
      throw err;
    }
    return consumer;
  }

  async createReader(opts: ReaderOptions): Promise<Reader> {
    this.assertOpen();
    const topic = fullTopicName(opts.topic);
    const partitions = await this.partitionCount(topic);
    const reader = partitions > 0 ? PartitionedReader.create(this.ctx, { ...opts, topic }, partitions) : new ReaderImpl(this.ctx, { ...opts, topic });
    this.handles.add(reader);
    try {
      await reader.start();
    } catch (err) {
      this.handles.delete(reader);
      await reader.close().catch(() => {});
      throw err;
    }
    return reader;
  }

  /**
   * The schema registered for a topic: a given version, or the latest when omitted.
   * Versioned answers are cached (a version never changes); undefined when there is none.
   */
  async getSchema(topic: string, version?: Buffer): Promise<SchemaInfo | undefined> {
    this.assertOpen();
    const full = fullTopicName(topic);
    const key = version ? `${full}|${version.toString('hex')}` : undefined;
    if (key) {
      const hit = this.schemaCache.get(key);
      if (hit) return hit;
    }
    const p = this.fetchSchema(full, version);
    if (key) {
      this.schemaCache.set(key, p);
      p.catch(() => this.schemaCache.delete(key));
    }
    return p;
  }

  /** Number of partitions (0 for a non-partitioned topic). */
  async partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    const full = fullTopicName(topic);
    return this.retryStartup(async () => {
      const cnx = await this.serviceConnection();
      const requestId = this.ctx.nextId('request');
      const res = await cnx.request(
        { type: CommandType.PARTITIONED_METADATA, partitionMetadata: { topic: full, request_id: requestId } },
        requestId,
        `reading partition metadata of ${full}`,
      );
      const r = res.partitionMetadataResponse!;
      if (r.response === 1 /* Failed */) throw brokerError(r.error, r.message, `reading partition metadata of ${full}`);
      return r.partitions ?? 0;
    }, `reading partition metadata of ${full}`);
  }

  /** Close every producer (flushing), consumer and reader, then all connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.handles].map((h) => h.close()));
    this.closed = true;
    this.handles.clear();
    const conns = [...this.connections.values()];
    this.connections.clear();
    for (const p of conns)
      p.then(
        (c) => c.close(),
        () => {},
      );
    this.status.emit({ state: 'closed' });
  }

  // -------------------------------------------------------------------------------------
  // Connections and lookup

  private assertOpen(): void {
    if (this.closed) throw new AlreadyClosedError('client');
  }

  private connectionOptions(physical: BrokerAddress, logicalUrl?: string): ConnectionOptions {
    const o: ConnectionOptions = {
      physical,
      connectionTimeoutMs: this.opts.connectionTimeoutMs,
      operationTimeoutMs: this.opts.operationTimeoutMs,
      keepAliveIntervalMs: this.opts.keepAliveIntervalMs,
      log: this.log,
    };
    if (logicalUrl !== undefined) o.logicalUrl = logicalUrl;
    if (this.opts.token !== undefined) o.token = this.opts.token;
    if (this.opts.tlsTrustCertsFile !== undefined) o.tlsTrustCertsFile = this.opts.tlsTrustCertsFile;
    if (this.opts.tlsAllowInsecure !== undefined) o.tlsAllowInsecure = this.opts.tlsAllowInsecure;
    return o;
  }

  /** A pooled connection: one per (broker, proxy) pair, shared by every handle. */
  private getConnection(physical: BrokerAddress, logicalUrl?: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new AlreadyClosedError('client'));
    const key = `${logicalUrl ?? physical.url}|${physical.url}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const p = Connection.open(this.connectionOptions(physical, logicalUrl)).then(
      (cnx) => {
        if (this.closed) {
          cnx.close();
          throw new AlreadyClosedError('client');
        }
        cnx.onClose((err) => {
          if (this.connections.get(key) === p) this.connections.delete(key);
          if (err && !this.closed) this.status.emit({ state: 'disconnected', broker: cnx.address, error: err });
        });
        this.log(
          `connected to ${cnx.address}${logicalUrl && logicalUrl !== physical.url ? ` via ${physical.url}` : ''} (broker ${cnx.serverVersion}, protocol v${cnx.protocolVersion})`,
        );
        if (this.reconnectingHandles.size === 0) this.status.emit({ state: 'connected', broker: cnx.address });
        return cnx;
      },
      (err: unknown) => {
        if (this.connections.get(key) === p) this.connections.delete(key);
        throw err;
      },
    );
    this.connections.set(key, p);
    return p;
  }

  /** Connection to the service URL, trying each listed host in turn. */
  private async serviceConnection(): Promise<Connection> {
    let lastErr: unknown;
    for (let i = 0; i < this.addresses.length; i++) {
      const idx = (this.addressIndex + i) % this.addresses.length;
      try {
        const c = await this.getConnection(this.addresses[idx]!);
        this.addressIndex = idx;
        return c;
      } catch (err) {
        lastErr = err;
        if (!(err instanceof UnreachableError)) throw err;
      }
    }
    throw lastErr;
  }

  /** Binary lookup: ask the service URL who owns the topic, following redirects. */
  private async connectionFor(topic: string): Promise<Connection> {
    const service = this.addresses[this.addressIndex]!;
    let cnx = await this.serviceConnection();
    let authoritative = false;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const requestId = this.ctx.nextId('request');
      const res = await cnx.request(
        { type: CommandType.LOOKUP, lookupTopic: { topic, request_id: requestId, authoritative } },
        requestId,
        `looking up ${topic}`,
      );
      const r = res.lookupTopicResponse!;
      if (r.response === LookupType.Failed || r.response === undefined) throw brokerError(r.error, r.message, `looking up ${topic}`);
      const url = service.tls ? (r.brokerServiceUrlTls ?? r.brokerServiceUrl) : r.brokerServiceUrl;
      if (!url) throw brokerError(r.error, 'the lookup answer carries no broker URL', `looking up ${topic}`);
      const broker = parseBrokerUrl(url);
      // Through a proxy: keep connecting to the service URL and name the broker in CONNECT.
      const next = r.proxy_through_service_url ? this.getConnection(service, broker.url) : this.getConnection(broker);
      if (r.response === LookupType.Connect) return next;
      authoritative = r.authoritative ?? false;
      cnx = await next;
    }
    throw new ServiceLookupError(`looking up ${topic}: more than ${MAX_REDIRECTS} redirects`);
  }

  private async fetchSchema(topic: string, version?: Buffer): Promise<SchemaInfo | undefined> {
    const cnx = await this.serviceConnection();
    const requestId = this.ctx.nextId('request');
    const getSchema: CommandGetSchema = { request_id: requestId, topic };
    if (version) getSchema.schema_version = version;
    const res = await cnx.request({ type: CommandType.GET_SCHEMA, getSchema }, requestId, `reading the schema of ${topic}`);
    const r = res.getSchemaResponse!;
    if (r.error_code !== undefined) {
      const err = brokerError(r.error_code, r.error_message, `reading the schema of ${topic}`);
      if (err instanceof TopicNotFoundError) return undefined;
      throw err;
    }
    return r.schema ? fromProtoSchema(r.schema) : undefined;
  }

  private retryStartup<T>(fn: () => Promise<T>, what: string): Promise<T> {
    return retry(fn, {
      backoff: new Backoff(100, 2_000),
      timeoutMs: this.opts.operationTimeoutMs,
      // Nobody listening, or a clash the user has to resolve (a producer name in use, an
      // exclusive subscription held elsewhere): report at once instead of waiting.
      retriable: (err) => {
        const serverError = (err as { serverError?: string }).serverError;
        const fatal = err instanceof UnreachableError || err instanceof AlreadyClosedError || serverError === 'ProducerBusy' || serverError === 'ConsumerBusy';
        return (err as { retriable?: boolean }).retriable === true && !fatal && !this.closed;
      },
      onRetry: (err, delay) => this.log(`${what}: ${(err as Error).message}; retrying in ${delay} ms`),
    });
  }

  private markReconnecting(handle: object): () => void {
    this.reconnectingHandles.add(handle);
    this.status.emit({ state: 'reconnecting' });
    return () => {
      this.reconnectingHandles.delete(handle);
      if (this.reconnectingHandles.size === 0 && !this.closed && this.connections.size > 0) this.status.emit({ state: 'connected' });
    };
  }
}

class ServiceLookupError extends UnreachableError {}
