/**
 * The host every service runs in: its consumers (commands and the events it follows), the
 * processor, the outbox relay, the HTTP server (/health, /metrics, REST) and shutdown.
 * Over the ~400 lines we aim for: the host is the one place that starts, watches and stops
 * those parts in order; the parts themselves live beside it (processor.ts, outbox-relay.ts,
 * http.ts, metrics.ts).
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ServiceMode } from '../../config/index.js';
import { Publisher } from '../../core/publisher.js';
import { DLQ_PROPS } from '../../core/read/dead-letter.js';
import { WriterSchemas } from '../../core/read/writer-schemas.js';
import { topicSchemaInfo, type AnyEnvelope, type TopicShortName } from '../../core/catalog/index.js';
import { deadLetterTopic, serviceSubscription, topicName, type TopicScope } from '../../core/topics.js';
import { TopicNotFoundError, type Consumer, type Message, type Producer, type PulsarClient } from '../../pulsar/index.js';
import type { ServiceStore } from '../store/store.js';
import type { ServiceDefinition } from './definition.js';
import { ServiceHttpServer } from './http.js';
import { ServiceMetrics } from './metrics.js';
import { OutboxRelay } from './outbox-relay.js';
import { isUnavailable, MessageProcessor, type Outcome } from './processor.js';
import { Backoff, sleep } from '../../util/wait.js';

/**
 * Runs one service: the command consumer (event and hybrid modes), consumers of the event
 * topics it follows, the outbox relay, and the HTTP server (health and metrics always; the
 * service's REST routes in http and hybrid modes).
 *
 * Per message: decode → handle in one transaction (state + processed mark + outbox) →
 * acknowledge. Transient failures are negatively acknowledged and come back after a delay;
 * on the last allowed redelivery a still-failing message is dead-lettered with the error in a
 * property, and bytes that do not decode are dead-lettered at once. Messages of one consumer
 * are handled one at a time, which keeps per-key order on Key_Shared subscriptions.
 */

export interface ServiceHostOptions {
  scope: TopicScope;
  client: PulsarClient;
  mode: ServiceMode;
  /** HTTP port (0: any free port). */
  port: number;
  host?: string;
  /** Key_Shared instead of Shared: several instances keep per-aggregate order. */
  keyShared?: boolean;
  /** Redeliveries before dead-lettering (the message is tried 1 + this many times). */
  maxRedeliveries?: number;
  /** Delay before a negatively acknowledged message comes back. */
  nackDelayMs?: number;
  /** How long acknowledgements wait to go out together (ms); the client's default when unset. */
  ackGroupMs?: number;
  /**
   * Create a topic that should exist but does not (admin API). The broker deletes empty topics
   * nobody uses after a while, dead-letter topics included; the service recreates its own.
   */
  ensureTopic?: (topic: string) => Promise<void>;
  log?: (line: string) => void;
  /** This instance among several on one database (default: host, pid and a random part). */
  instanceId?: string;
  /** Outbox lease time (ms): how soon a dead instance's outbox slices are taken over. */
  outboxLeaseMs?: number;
}

const PROCESSED_KEEP_MS = 7 * 24 * 3_600_000;

interface Loop {
  topic: TopicShortName;
  consumer: Consumer;
  done: Promise<void>;
}

export class ServiceHost<R> {
  readonly metrics = new ServiceMetrics();
  readonly processor: MessageProcessor<R>;
  readonly relay: OutboxRelay;
  private readonly publisher: Publisher;
  private readonly http: ServiceHttpServer<R>;
  private readonly loops: Loop[] = [];
  private dlqProducer: Promise<Producer> | undefined;
  private stopping = false;
  private started = 0;
  private address: AddressInfo | undefined;
  private readonly log: (line: string) => void;
  private readonly writerSchemas: WriterSchemas;
  /** Shown in /health and carried by every /metrics series. */
  readonly instanceId: string;

  constructor(
    readonly def: ServiceDefinition<R>,
    readonly store: ServiceStore<R>,
    readonly opts: ServiceHostOptions,
  ) {
    this.log = opts.log ?? (() => {});
    this.writerSchemas = new WriterSchemas(opts.client);
    this.instanceId = opts.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    // On a shared database several instances serve one service: every series carries the
    // instance (`instance_id`, not `instance`, which Prometheus sets to the scrape target). On
    // SQLite there is one instance per database and the info gauge says which.
    if (store.outboxSlices > 1 || store.kind !== 'sqlite') this.metrics.registry.constLabels = { instance_id: this.instanceId };
    this.metrics.instanceInfo.set(1, { service: def.name, instance_id: this.instanceId });
    this.processor = new MessageProcessor(def, store, opts.scope, { maxRedeliveries: opts.maxRedeliveries ?? 3 });
    // Anonymous producers, to check and create the topics at start: the outbox relay publishes
    // under its own stable names.
    this.publisher = new Publisher(opts.client, opts.scope);
    this.relay = new OutboxRelay(store, {
      client: opts.client,
      scope: opts.scope,
      producerName: (slice) => this.producerNameOf(slice),
      instanceId: this.instanceId,
      metrics: this.metrics,
      log: (l) => this.log(`${def.name}: ${l}`),
      service: def.name,
      ...(opts.outboxLeaseMs !== undefined ? { leaseTtlMs: opts.outboxLeaseMs } : {}),
    });
    const labels = { service: def.name };
    this.metrics.outboxDepth.set(() => this.outboxDepthCache, labels);
    this.metrics.brokerConnected.set(() => (opts.client.status.current.state === 'connected' ? 1 : 0), labels);
    this.http = new ServiceHttpServer<R>({
      routes: def.routes,
      serveRoutes: opts.mode !== 'event',
      health: () => this.health(),
      metrics: () => this.metrics.registry.render(),
      command: (env) => this.handleHttpCommand(env),
      read: (fn) => store.read(fn),
      write: (fn) => store.transaction((tx) => fn(tx.repo)),
      modeHint: `this ${def.name} service runs in ${opts.mode} mode: send commands to the ${def.name}-commands topic (miso send), or start it with --mode hybrid`,
    });
  }

  /**
   * Stable per database and outbox slice, not per instance, so broker deduplication recognises
   * resends after a restart or a hand-over (see `outbox-relay.ts`). A store with one slice keeps
   * the name it always had.
   */
  producerNameOf(slice: number): string {
    const base = `${this.def.name}-outbox-${this.store.storeId}`;
    return this.store.outboxSlices === 1 ? base : `${base}-${slice}`;
  }

  /** The producer name of the first outbox slice (the only one on SQLite). */
  get producerName(): string {
    return this.producerNameOf(0);
  }

  /** The port the HTTP server bound (the one the system picked for port 0). */
  get port(): number | undefined {
    return this.address?.port;
  }

  get url(): string | undefined {
    return this.address ? `http://${this.address.address}:${this.address.port}` : undefined;
  }

  get commandTopic(): TopicShortName {
    return `${this.def.name}-commands`;
  }

  get subscription(): string {
    return serviceSubscription(this.def.name);
  }

  get deadLetterTopic(): string {
    return deadLetterTopic(topicName(this.opts.scope, this.commandTopic), this.subscription);
  }

  private outboxDepthCache = 0;
  /** Why the database cannot be reached, while it cannot (for /health). */
  private databaseDown: string | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    this.started = Date.now();
    this.address = await this.http.listen(this.opts.port, this.opts.host);
    try {
      // Producers first: a topic that does not exist (no `miso init`) stops the start here.
      await this.warmProducers();
      // The dead-letter producer up front: a missing topic shows now, and a connected producer
      // keeps the (usually empty) topic from being deleted as inactive.
      await this.deadLetterProducer();
      this.relay.start();
      // Redeliveries come within minutes; ids older than a week (the topics' retention) are forgotten.
      this.pruneTimer = setInterval(() => {
        this.store
          .pruneProcessed(Date.now() - PROCESSED_KEEP_MS)
          .catch((err: unknown) => this.log(`${this.def.name}: pruning processed ids failed: ${(err as Error).message}`));
      }, 3_600_000);
      this.pruneTimer.unref();
      for (const f of this.def.follows ?? []) await this.startLoop(f.topic as TopicShortName);
      if (this.opts.mode !== 'http') await this.startLoop(this.commandTopic);
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  /**
   * Producers of every topic this service publishes on. The broker deletes empty topics nobody
   * has used for a while; when one is gone the service recreates it (admin API) and tries again.
   */
  private async warmProducers(): Promise<void> {
    try {
      await this.publisher.warm(this.publishTopics());
    } catch (err) {
      const missing = err instanceof TopicNotFoundError || (err as { cause?: unknown }).cause instanceof TopicNotFoundError;
      if (!missing || !this.opts.ensureTopic) throw err;
      try {
        for (const t of this.publishTopics()) await this.opts.ensureTopic(topicName(this.opts.scope, t));
      } catch {
        // Not recreated (no tenant or namespace, no permission): the original error says what to do.
        throw err;
      }
      await this.publisher.warm(this.publishTopics());
    }
  }

  /** The topics this service may publish on (its events, follow-up commands). */
  private publishTopics(): TopicShortName[] {
    return [`${this.def.name}-events`, ...((this.def.sendsTo ?? []) as TopicShortName[])];
  }

  private async startLoop(topic: TopicShortName): Promise<void> {
    const isCommands = topic === this.commandTopic;
    const full = topicName(this.opts.scope, topic);
    const consumer = await this.opts.client.subscribe({
      topic: full,
      subscription: this.subscription,
      type: this.opts.keyShared ? 'Key_Shared' : 'Shared',
      // A new subscription starts at the beginning: commands sent before the first start are handled.
      initialPosition: 'earliest',
      // Messages are handled one at a time: a short queue is enough and bounds memory under a backlog.
      receiverQueueSize: 200,
      nackRedeliveryDelayMs: this.opts.nackDelayMs ?? 500,
      ...(this.opts.ackGroupMs !== undefined ? { ackGroupingMs: this.opts.ackGroupMs } : {}),
      ...(isCommands ? { deadLetter: { maxRedeliverCount: this.opts.maxRedeliveries ?? 3, topic: this.deadLetterTopic } } : {}),
      consumerName: `${this.def.name}-${this.instanceId}`,
    });
    const loop: Loop = { topic, consumer, done: Promise.resolve() };
    loop.done = this.consume(loop);
    this.loops.push(loop);
  }

  private async consume(loop: Loop): Promise<void> {
    while (!this.stopping) {
      let m: Message | undefined;
      try {
        m = await loop.consumer.receive(250);
      } catch (err) {
        if (this.stopping) break;
        this.log(`${this.def.name}: receive on ${loop.topic} failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!m) continue;
      await this.handleMessage(loop, m);
    }
  }

  private async handleMessage(loop: Loop, m: Message): Promise<void> {
    const t0 = performance.now();
    this.metrics.deliveryDelay.observe(Math.max(0, Date.now() - m.publishTime) / 1000, { service: this.def.name });
    let writerSchema: string | null | undefined;
    try {
      writerSchema = await this.writerSchemas.of(m);
    } catch (err) {
      this.log(`${this.def.name}: cannot fetch the writer schema of ${m.messageId.toString()}: ${(err as Error).message}; retrying`);
      loop.consumer.nack(m);
      return;
    }
    // Bytes stamped with a version the registry never issued cannot be read safely: decoding
    // them with our own schema would be a guess that may succeed with wrong values.
    const outcome: Outcome =
      writerSchema === null
        ? {
            kind: 'dead-letter',
            envelope: undefined,
            reason: `written with schema version ${m.schemaVersion!.toString('hex')}, which the registry of ${m.topic} never issued as Avro`,
          }
        : await this.processWhileDatabaseDown(() =>
            this.processor.processBytes({ topic: loop.topic, bytes: m.payload, writerSchema, redeliveryCount: m.redeliveryCount }),
          );
    // Counted before settling, so whoever sees the effects also sees them in /metrics.
    this.observe(outcome, performance.now() - t0);
    await this.settle(loop, m, outcome);
  }

  /**
   * While the database is out of reach the message in hand is tried again in place, with
   * backoff, instead of being negatively acknowledged: it keeps its place (and its key's
   * order), no redelivery is spent on it, and nothing behind it is taken meanwhile.
   */
  private async processWhileDatabaseDown(run: () => Promise<Outcome>): Promise<Outcome> {
    const backoff = new Backoff(200, 5000);
    for (;;) {
      const outcome = await run();
      if (outcome.kind !== 'retry' || !isUnavailable(outcome.error) || this.stopping) {
        if (this.databaseDown) this.log(`${this.def.name}: database reachable again`);
        this.databaseDown = undefined;
        return outcome;
      }
      if (!this.databaseDown) this.log(`${this.def.name}: ${outcome.error.message}; holding messages until it is back`);
      this.databaseDown = outcome.error.message;
      await sleep(backoff.next());
    }
  }

  private async settle(loop: Loop, m: Message, outcome: Outcome): Promise<void> {
    // Not awaited: the client groups acknowledgements (sent within 10 ms) and closing the
    // consumer flushes them. A lost ack only means a redelivery, which is recognised.
    const ack = (): void => {
      loop.consumer
        .ack(m)
        .catch((err: unknown) => this.log(`${this.def.name}: ack failed (${(err as Error).message}); the message will come again and be recognised`));
    };
    switch (outcome.kind) {
      case 'accepted':
      case 'rejected':
        this.relay.notify();
        ack();
        return;
      case 'duplicate':
      case 'ignored':
        ack();
        return;
      case 'retry':
        this.log(
          `${this.def.name}: ${outcome.envelope.type} ${outcome.envelope.id} failed (delivery ${m.redeliveryCount + 1}): ${outcome.error.message}; will retry`,
        );
        loop.consumer.nack(m);
        return;
      case 'dead-letter':
        if (loop.topic !== this.commandTopic) {
          // Bad bytes on another service's event topic: nothing this service can fix or replay.
          this.log(`${this.def.name}: skipping a message on ${loop.topic} that cannot be handled: ${outcome.reason}`);
          ack();
          return;
        }
        try {
          await this.deadLetter(m, outcome.reason);
          ack();
        } catch (err) {
          this.log(`${this.def.name}: could not dead-letter ${m.messageId.toString()}: ${(err as Error).message}; will retry`);
          loop.consumer.nack(m);
        }
        return;
    }
  }

  private deadLetterProducer(): Promise<Producer> {
    if (!this.dlqProducer) {
      const create = () => this.opts.client.createProducer({ topic: this.deadLetterTopic, schema: topicSchemaInfo(this.commandTopic), batching: false });
      const p = create().catch(async (err: unknown) => {
        if (!(err instanceof TopicNotFoundError) || !this.opts.ensureTopic) throw err;
        await this.opts.ensureTopic(this.deadLetterTopic).catch(() => {
          throw err;
        });
        return create();
      });
      p.catch(() => {
        if (this.dlqProducer === p) this.dlqProducer = undefined;
      });
      this.dlqProducer = p;
    }
    return this.dlqProducer;
  }

  /** Republish to the dead-letter topic as the client would, plus why. */
  private async deadLetter(m: Message, reason: string): Promise<void> {
    const producer = await this.deadLetterProducer();
    await producer.send({
      payload: m.payload,
      properties: {
        ...m.properties,
        [DLQ_PROPS.realTopic]: m.topic,
        [DLQ_PROPS.originMessageId]: m.messageId.toString(),
        [DLQ_PROPS.reason]: reason,
        [DLQ_PROPS.service]: this.def.name,
        [DLQ_PROPS.redeliveryCount]: String(m.redeliveryCount),
      },
      ...(m.key !== undefined ? { key: m.key } : {}),
      ...(m.eventTime !== undefined ? { eventTime: m.eventTime } : {}),
    });
    this.log(`${this.def.name}: dead-lettered ${m.messageId.toString()} to ${this.deadLetterTopic}: ${reason}`);
  }

  private async handleHttpCommand(env: AnyEnvelope): Promise<Outcome> {
    const t0 = performance.now();
    const outcome = await this.processor.processEnvelope(env, { topic: this.commandTopic, redeliveryCount: 0, via: 'http' });
    if (outcome.kind === 'accepted' || outcome.kind === 'rejected') this.relay.notify();
    this.observe(outcome, performance.now() - t0);
    return outcome;
  }

  private observe(outcome: Outcome, ms: number): void {
    const type = outcome.envelope?.type ?? 'undecodable';
    const labels = { service: this.def.name, type };
    switch (outcome.kind) {
      case 'accepted':
      case 'ignored':
        this.metrics.handled.inc(labels);
        break;
      case 'rejected':
        this.metrics.handled.inc(labels);
        this.metrics.rejected.inc({ ...labels, reason: outcome.reason.reasonCode });
        break;
      case 'duplicate':
        this.metrics.duplicates.inc(labels);
        break;
      case 'retry':
        this.metrics.retried.inc(labels);
        break;
      case 'dead-letter':
        this.metrics.deadLettered.inc(labels);
        break;
    }
    this.metrics.latency.observe(ms / 1000, { service: this.def.name });
  }

  async health(): Promise<{ status: 'ok' | 'degraded'; [k: string]: unknown }> {
    let databaseError: string | undefined = this.databaseDown;
    const depth = await this.store.outboxDepth().catch((err: unknown) => {
      databaseError = (err as Error).message;
      return -1;
    });
    this.outboxDepthCache = depth;
    const broker = this.opts.client.status.current;
    const connected = broker.state === 'connected';
    const stats = this.def.stats ? await this.store.read((repo) => this.def.stats!(repo)).catch(() => undefined) : undefined;
    return {
      status: connected && !this.stopping && databaseError === undefined ? 'ok' : 'degraded',
      service: this.def.name,
      instance_id: this.instanceId,
      mode: this.opts.mode,
      broker_connected: connected,
      broker_state: broker.state,
      topics_subscribed: this.loops.map((l) => ({ topic: topicName(this.opts.scope, l.topic), subscription: this.subscription })),
      outbox_depth: depth,
      outbox_error: this.relay.lastError ?? null,
      producer_names: this.relay.heldSlices.map((n) => this.producerNameOf(n)),
      outbox_slices_held: this.relay.heldSlices,
      database: this.store.location,
      database_kind: this.store.kind,
      database_error: databaseError ?? null,
      uptime_seconds: Math.round((Date.now() - this.started) / 1000),
      ...(stats ? { stats } : {}),
    };
  }

  /**
   * Graceful stop: stop taking messages, let the message in hand finish, publish what is in the
   * outbox (bounded wait), then close consumers, producers, the HTTP server and the store.
   */
  async stop(opts: { flushTimeoutMs?: number } = {}): Promise<{ outboxLeft: number }> {
    if (this.stopping) return { outboxLeft: await this.store.outboxDepth().catch(() => -1) };
    this.stopping = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await Promise.all(this.loops.map((l) => l.done));
    await Promise.all(this.loops.map((l) => l.consumer.close().catch(() => {})));
    await this.relay.flush(opts.flushTimeoutMs ?? 5000);
    await this.relay.stop();
    const outboxLeft = await this.store.outboxDepth().catch(() => -1);
    await this.publisher.close();
    if (this.dlqProducer) await (await this.dlqProducer.catch(() => undefined))?.close().catch(() => {});
    await this.http.close();
    await this.def.close?.();
    await this.store.close();
    return { outboxLeft };
  }
}
