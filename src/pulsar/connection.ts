/**
 * One TCP (or TLS) connection to a broker: handshake with token auth, request/response
 * matching by request id with timeouts, keep-alive with dead-peer detection, and dispatch of
 * producer/consumer traffic to the handles registered on it.
 *
 * Over the ~400 lines we aim for, on purpose: every part reads and writes the same socket
 * state (closed, pending requests, registered handles, the handshake), and the frame
 * switch is the protocol's list of commands a client receives. Split, each piece would take
 * that state as parameters. What is pure lives elsewhere: frames in protocol/, error typing
 * in errors.ts.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ConfigError, type MisoError } from '../errors.js';
import {
  BrokerUnreachableError,
  brokerError,
  ConnectionClosedError,
  BrokerAuthenticationError,
  MalformedFrameError,
  OperationTimeoutError,
  type ProtocolError,
  ServerErrorCode,
  tlsFailure,
} from './errors.js';
import { expiredAt } from './admin-jwt.js';
import { CommandType, commandTypeName, subCommandField, type BaseCommand } from './protocol/commands.js';
import type { CommandActiveConsumerChange, CommandMessage, CommandSendError, CommandSendReceipt, CommandTopicMigrated } from './protocol/definitions.js';
import { DEFAULT_MAX_MESSAGE_SIZE, encodeCommandFrame, FRAME_HEADROOM, FrameParser, type Frame, type PayloadSection } from './protocol/frame.js';
import type { BrokerAddress } from './url.js';

export const CLIENT_VERSION = 'miso-ts-0.1.0';
/** Protocol version we announce; the broker answers with the lower of its own and ours. */
export const PROTOCOL_VERSION = 21;

export interface ConnectionOptions {
  /** Where the socket goes (the service URL for a proxy, otherwise the broker itself). */
  physical: BrokerAddress;
  /** The broker we mean when `physical` is a proxy (sent as proxy_to_broker_url). */
  logicalUrl?: string;
  token?: string;
  tlsTrustCertsFile?: string;
  tlsAllowInsecure?: boolean;
  connectionTimeoutMs: number;
  operationTimeoutMs: number;
  keepAliveIntervalMs: number;
  log: (line: string) => void;
}

export interface ProducerHandler {
  onSendReceipt(receipt: CommandSendReceipt): void;
  onSendError(error: CommandSendError): void;
  /** The broker closed the producer (topic unloaded, migrated); re-create it. */
  onClosedByBroker(): void;
  onConnectionClosed(): void;
}

export interface ConsumerHandler {
  onMessage(cmd: CommandMessage, payload: PayloadSection): void;
  /** A message arrived damaged (checksum); the handle decides how to drop it. */
  onCorruptMessage(cmd: CommandMessage): void;
  onReachedEndOfTopic(): void;
  onActiveConsumerChange(change: CommandActiveConsumerChange): void;
  onClosedByBroker(): void;
  onConnectionClosed(): void;
}

interface PendingRequest {
  resolve: (cmd: BaseCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

/** Sub-commands that answer a request, keyed by command type. */
const RESPONSE_FIELD: Partial<Record<number, keyof BaseCommand>> = {
  [CommandType.SUCCESS]: 'success',
  [CommandType.ERROR]: 'error',
  [CommandType.PRODUCER_SUCCESS]: 'producer_success',
  [CommandType.LOOKUP_RESPONSE]: 'lookupTopicResponse',
  [CommandType.PARTITIONED_METADATA_RESPONSE]: 'partitionMetadataResponse',
  [CommandType.GET_LAST_MESSAGE_ID_RESPONSE]: 'getLastMessageIdResponse',
  [CommandType.GET_SCHEMA_RESPONSE]: 'getSchemaResponse',
  [CommandType.ACK_RESPONSE]: 'ackResponse',
};

export class Connection {
  readonly address: string;
  private socket: net.Socket | tls.TLSSocket | undefined;
  private parser: FrameParser;
  private pending = new Map<number, PendingRequest>();
  private producers = new Map<number, ProducerHandler>();
  private consumers = new Map<number, ConsumerHandler>();
  private closeListeners = new Set<(err?: Error) => void>();
  private keepAlive: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private closed = false;
  /** Whether the socket is corked until the end of the current tick (see write). */
  private corkedTick = false;
  private closeError: Error | undefined;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;

  serverVersion = '';
  protocolVersion = 0;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;

  private constructor(private readonly opts: ConnectionOptions) {
    this.address = opts.logicalUrl ?? opts.physical.url;
    this.parser = new FrameParser({
      onFrame: (f) => this.onFrame(f),
      onError: (err, info) => this.onProtocolError(err, info),
    });
  }

  /** Open a socket, complete the CONNECT/CONNECTED handshake, start keep-alive. */
  static async open(opts: ConnectionOptions): Promise<Connection> {
    const c = new Connection(opts);
    await c.start();
    return c;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get via(): string {
    return this.opts.physical.url;
  }

  private async start(): Promise<void> {
    const { physical } = this.opts;
    const where = `${physical.host}:${physical.port}`;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.socket?.destroy();
        this.closed = true;
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new BrokerUnreachableError(`no answer from the broker at ${where} within ${this.opts.connectionTimeoutMs} ms`)),
        this.opts.connectionTimeoutMs,
      );
      this.handshake = {
        resolve: () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve();
        },
        reject: fail,
      };
      let socket: net.Socket;
      if (physical.tls) {
        let ca: Buffer | undefined;
        if (this.opts.tlsTrustCertsFile) {
          try {
            ca = readFileSync(this.opts.tlsTrustCertsFile);
          } catch (err) {
            fail(
              new ConfigError(`cannot read the TLS trust certificate file ${this.opts.tlsTrustCertsFile}`, {
                hint: 'Check the --tls-trust-certs path.',
                cause: err,
              }),
            );
            return;
          }
        }
        const tlsOpts: tls.ConnectionOptions = {
          host: physical.host,
          port: physical.port,
          rejectUnauthorized: !this.opts.tlsAllowInsecure,
        };
        if (ca) tlsOpts.ca = ca;
        if (net.isIP(physical.host) === 0) tlsOpts.servername = physical.host;
        socket = tls.connect(tlsOpts, () => this.sendConnect());
      } else {
        socket = net.connect({ host: physical.host, port: physical.port }, () => this.sendConnect());
      }
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => {
        this.lastReceived = Date.now();
        this.parser.push(chunk);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const typed = this.socketError(err, where);
        if (!settled) fail(typed);
        else this.teardown(typed);
      });
      socket.on('close', () => {
        if (!settled) fail(new BrokerUnreachableError(`the broker at ${where} closed the connection during the handshake`));
        else this.teardown(this.closeError ?? new ConnectionClosedError(`the connection to ${this.address} was closed`));
      });
    });
    this.startKeepAlive();
  }

  private socketError(err: NodeJS.ErrnoException, where: string): MisoError {
    const code = err.code ?? '';
    if (code === 'ECONNREFUSED') return new BrokerUnreachableError(`cannot reach the broker at ${where} (connection refused)`, { cause: err });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new BrokerUnreachableError(`cannot resolve the broker host ${this.opts.physical.host}`, { cause: err });
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new BrokerUnreachableError(`cannot reach the broker at ${where} (${code})`, { cause: err });
    }
    if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SSL') || code === 'EPROTO' || /certificate|ssl|tls/i.test(err.message)) {
      return tlsFailure(err, where);
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionClosedError(`the connection to ${where} was reset`, { cause: err });
    return new ConnectionClosedError(`the connection to ${where} failed: ${err.message}`, { cause: err });
  }

  private sendConnect(): void {
    const connect: NonNullable<BaseCommand['connect']> = {
      client_version: CLIENT_VERSION,
      protocol_version: PROTOCOL_VERSION,
      feature_flags: { supports_auth_refresh: true, supports_broker_entry_metadata: true },
    };
    if (this.opts.token !== undefined) {
      connect.auth_method_name = 'token';
      connect.auth_data = Buffer.from(this.opts.token, 'utf8');
    }
    if (this.opts.logicalUrl !== undefined && this.opts.logicalUrl !== this.opts.physical.url) {
      connect.proxy_to_broker_url = this.opts.logicalUrl.replace(/^pulsar(\+ssl)?:\/\//, '');
    }
    this.write(encodeCommandFrame({ type: CommandType.CONNECT, connect }));
  }

  private startKeepAlive(): void {
    const interval = this.opts.keepAliveIntervalMs;
    this.keepAlive = setInterval(
      () => {
        const silent = Date.now() - this.lastReceived;
        if (silent >= 2 * interval) {
          this.opts.log(`no traffic from ${this.address} for ${silent} ms; closing the connection`);
          this.teardown(new ConnectionClosedError(`the broker at ${this.address} stopped answering`));
        } else if (silent >= interval) {
          this.sendCommand({ type: CommandType.PING, ping: {} });
        }
      },
      Math.max(50, Math.floor(interval / 2)),
    );
    this.keepAlive.unref();
  }

  // -------------------------------------------------------------------------------------
  // Outgoing

  /**
   * Write raw frame bytes. Frames written in one tick leave in one socket write: the first
   * write of a tick corks the socket and the end of the tick uncorks it, so a burst of
   * sends, acks or a resend costs one syscall instead of one per frame, and nothing waits
   * past the current tick. Returns false when the socket buffer is above its high-water mark.
   */
  write(frame: Buffer): boolean {
    const s = this.socket;
    if (this.closed || !s) return false;
    if (!this.corkedTick) {
      this.corkedTick = true;
      s.cork();
      process.nextTick(() => {
        this.corkedTick = false;
        s.uncork();
      });
    }
    return s.write(frame);
  }

  sendCommand(cmd: BaseCommand): boolean {
    return this.write(encodeCommandFrame(cmd));
  }

  /** Bytes written but not yet taken by the kernel: the socket is backed up while this is above 0. */
  get backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  /**
   * Send a command carrying `requestId` and wait for the broker's answer (the matching
   * SUCCESS / *_RESPONSE / PRODUCER_SUCCESS). A broker ERROR rejects with its typed error.
   */
  request(cmd: BaseCommand, requestId: number, what: string, timeoutMs = this.opts.operationTimeoutMs): Promise<BaseCommand> {
    if (this.closed) return Promise.reject(this.closeError ?? new ConnectionClosedError());
    return new Promise<BaseCommand>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new OperationTimeoutError(`${what}: no answer from ${this.address} within ${timeoutMs} ms`, { hint: 'Check the broker (`miso doctor`) and retry.' }),
        );
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, what });
      this.sendCommand(cmd);
    });
  }

  registerProducer(id: number, h: ProducerHandler): void {
    this.producers.set(id, h);
  }
  unregisterProducer(id: number): void {
    this.producers.delete(id);
  }
  registerConsumer(id: number, h: ConsumerHandler): void {
    this.consumers.set(id, h);
  }
  unregisterConsumer(id: number): void {
    this.consumers.delete(id);
  }

  /** Handles using this connection; an idle connection can be closed. */
  get users(): number {
    return this.producers.size + this.consumers.size;
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.teardown(new ConnectionClosedError(`the connection to ${this.address} was closed by the client`), true);
  }

  /** Test hook and keep-alive failure path: drop the socket as if the network failed. */
  destroy(err?: Error): void {
    this.teardown(err ?? new ConnectionClosedError(`the connection to ${this.address} was dropped`));
  }

  private teardown(err: Error, byClient = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.socket?.destroy();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`${p.what}: the connection to ${this.address} closed before the answer`, { cause: err }));
    }
    this.pending.clear();
    if (!byClient) this.opts.log(`connection to ${this.address} closed: ${err.message}`);
    const producers = [...this.producers.values()];
    const consumers = [...this.consumers.values()];
    this.producers.clear();
    this.consumers.clear();
    for (const h of producers) h.onConnectionClosed();
    for (const h of consumers) h.onConnectionClosed();
    for (const l of [...this.closeListeners]) l(byClient ? undefined : err);
  }

  // -------------------------------------------------------------------------------------
  // Incoming

  private onProtocolError(err: ProtocolError, info: { fatal: boolean; command?: BaseCommand }): void {
    if (info.fatal) {
      if (this.handshake) this.handshake.reject(err);
      this.teardown(err);
      return;
    }
    const msg = info.command?.message;
    if (msg) {
      this.opts.log(`dropping a damaged message ${msg.message_id.ledgerId}:${msg.message_id.entryId}: ${err.message}`);
      this.consumers.get(msg.consumer_id)?.onCorruptMessage(msg);
      return;
    }
    this.opts.log(`ignoring a frame from ${this.address}: ${err.message}`);
  }

  private onFrame(frame: Frame): void {
    const cmd = frame.command;
    // A command whose type names a body it does not carry comes from a broken peer: every
    // handler below reads that body, so refuse the connection rather than crash in one.
    const body = subCommandField(cmd.type);
    if (body !== undefined && cmd[body] === undefined) {
      this.onProtocolError(new MalformedFrameError(`${commandTypeName(cmd.type)} from ${this.address} carries no ${String(body)} body`), {
        fatal: true,
        command: cmd,
      });
      return;
    }
    switch (cmd.type) {
      case CommandType.MESSAGE: {
        const m = cmd.message!;
        const h = this.consumers.get(m.consumer_id);
        if (h && frame.payload) h.onMessage(m, frame.payload);
        return;
      }
      case CommandType.SEND_RECEIPT: {
        const r = cmd.send_receipt!;
        this.producers.get(r.producer_id)?.onSendReceipt(r);
        return;
      }
      case CommandType.SEND_ERROR: {
        const e = cmd.send_error!;
        this.producers.get(e.producer_id)?.onSendError(e);
        return;
      }
      case CommandType.PING:
        this.sendCommand({ type: CommandType.PONG, pong: {} });
        return;
      case CommandType.PONG:
        return;
      case CommandType.CONNECTED: {
        const c = cmd.connected!;
        this.serverVersion = c.server_version;
        this.protocolVersion = c.protocol_version ?? 0;
        if (c.max_message_size && c.max_message_size > 0) {
          this.maxMessageSize = c.max_message_size;
          this.parser.maxFrameSize = c.max_message_size + FRAME_HEADROOM;
        }
        const h = this.handshake;
        this.handshake = undefined;
        h?.resolve();
        return;
      }
      case CommandType.AUTH_CHALLENGE: {
        // Token auth: answer a refresh challenge with the same token.
        this.sendCommand({
          type: CommandType.AUTH_RESPONSE,
          authResponse: {
            client_version: CLIENT_VERSION,
            protocol_version: PROTOCOL_VERSION,
            response: { auth_method_name: 'token', auth_data: Buffer.from(this.opts.token ?? '', 'utf8') },
          },
        });
        return;
      }
      case CommandType.CLOSE_PRODUCER: {
        const id = cmd.close_producer!.producer_id;
        const h = this.producers.get(id);
        this.producers.delete(id);
        h?.onClosedByBroker();
        return;
      }
      case CommandType.CLOSE_CONSUMER: {
        const id = cmd.close_consumer!.consumer_id;
        const h = this.consumers.get(id);
        this.consumers.delete(id);
        h?.onClosedByBroker();
        return;
      }
      case CommandType.REACHED_END_OF_TOPIC:
        this.consumers.get(cmd.reachedEndOfTopic!.consumer_id)?.onReachedEndOfTopic();
        return;
      case CommandType.ACTIVE_CONSUMER_CHANGE: {
        const c = cmd.active_consumer_change!;
        this.consumers.get(c.consumer_id)?.onActiveConsumerChange(c);
        return;
      }
      case CommandType.TOPIC_MIGRATED:
        this.onTopicMigrated(cmd.topicMigrated!);
        return;
      case CommandType.ERROR:
        if (this.handshake) {
          const e = cmd.error!;
          // The broker says only "Failed to authenticate"; an expired token says why itself.
          const expired = e.error === ServerErrorCode.AuthenticationError && this.opts.token ? expiredAt(this.opts.token) : undefined;
          this.handshake.reject(
            expired
              ? new BrokerAuthenticationError(`connecting to ${this.address}: the broker refused the token: it expired at ${expired.toISOString()}`)
              : brokerError(e.error, e.message, `connecting to ${this.address}`),
          );
          return;
        }
        break;
    }
    const field = RESPONSE_FIELD[cmd.type];
    if (field === undefined) {
      this.opts.log(`ignoring ${cmd.type} command from ${this.address}`);
      return;
    }
    const sub = cmd[field] as { request_id?: number } | undefined;
    const id = sub?.request_id;
    if (id === undefined) return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (cmd.type === CommandType.ERROR) {
      const e = cmd.error!;
      p.reject(brokerError(e.error, e.message, p.what));
    } else {
      p.resolve(cmd);
    }
  }

  /** A topic moved to another cluster: treat like a broker-side close so handles look it up again. */
  private onTopicMigrated(m: CommandTopicMigrated): void {
    this.opts.log(`topic migrated (resource ${m.resource_id}) to ${m.brokerServiceUrl ?? '?'}`);
    if (m.resource_type === 0) {
      const h = this.producers.get(m.resource_id);
      this.producers.delete(m.resource_id);
      h?.onClosedByBroker();
    } else {
      const h = this.consumers.get(m.resource_id);
      this.consumers.delete(m.resource_id);
      h?.onClosedByBroker();
    }
  }
}
