/**
 * The one place that opens connections from settings: the binary-protocol client and the
 * admin REST client, both from the same URLs, token and TLS settings. Both are made on first
 * use (and neither connects before its first request), so a command that only reads topics
 * never builds an admin client, and one that only administers never opens a socket.
 *
 *   const pulsar = openPulsar(cfg, { client: { log } });
 *   try { await scan(pulsar.client, …); await pushSchemas(pulsar.admin, …); } finally { await pulsar.close(); }
 */
import { PulsarClient, type BrokerAddress, type PulsarClientOptions } from '../pulsar/index.js';
import { AdminClient } from '../pulsar/admin.js';
import { Connection } from '../pulsar/connection.js';

export type { PulsarClient } from '../pulsar/index.js';
export type { AdminClient } from '../pulsar/admin.js';

/** Where the broker is and how to authenticate (a resolved config fits). */
export interface ConnectionSettings {
  serviceUrl: string;
  adminUrl: string;
  token?: string | undefined;
  tlsTrustCertsFile?: string | undefined;
  tlsAllowInsecure?: boolean | undefined;
}

/** Client knobs a caller may tune; the connection itself always comes from the settings. */
export type ClientTuning = Pick<PulsarClientOptions, 'log' | 'keepAliveIntervalMs' | 'reconnect' | 'operationTimeoutMs' | 'connectionTimeoutMs'>;

export interface AdminTuning {
  /** Per request; the admin client's default otherwise. */
  timeoutMs?: number;
}

export interface PulsarConnections {
  readonly client: PulsarClient;
  readonly admin: AdminClient;
  /** Close what was opened (the client's producers, consumers and readers with it). */
  close(): Promise<void>;
}

function secure(s: Omit<ConnectionSettings, 'serviceUrl' | 'adminUrl'>): { token?: string; tlsTrustCertsFile?: string; tlsAllowInsecure?: boolean } {
  return {
    ...(s.token ? { token: s.token } : {}),
    ...(s.tlsTrustCertsFile ? { tlsTrustCertsFile: s.tlsTrustCertsFile } : {}),
    ...(s.tlsAllowInsecure ? { tlsAllowInsecure: true } : {}),
  };
}

/** A binary-protocol client for these settings. */
export function openClient(s: Omit<ConnectionSettings, 'adminUrl'>, tuning: ClientTuning = {}): PulsarClient {
  const opts: PulsarClientOptions = { serviceUrl: s.serviceUrl, ...secure(s) };
  for (const [k, v] of Object.entries(tuning)) if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
  return new PulsarClient(opts);
}

/** An admin REST client for these settings. */
export function openAdmin(s: Omit<ConnectionSettings, 'serviceUrl'>, tuning: AdminTuning = {}): AdminClient {
  return new AdminClient({ adminUrl: s.adminUrl, ...secure(s), ...(tuning.timeoutMs !== undefined ? { timeoutMs: tuning.timeoutMs } : {}) });
}

/** Client and admin for these settings, each made on first use; `close` closes what was made. */
export function openPulsar(s: ConnectionSettings, tuning: { client?: ClientTuning; admin?: AdminTuning } = {}): PulsarConnections {
  let client: PulsarClient | undefined;
  let admin: AdminClient | undefined;
  let closed = false;
  return {
    get client(): PulsarClient {
      if (closed) throw new Error('connections are closed');
      return (client ??= openClient(s, tuning.client));
    },
    get admin(): AdminClient {
      if (closed) throw new Error('connections are closed');
      return (admin ??= openAdmin(s, tuning.admin));
    },
    async close(): Promise<void> {
      closed = true;
      // The admin client holds no connection between requests: only the client has sockets.
      await client?.close();
    },
  };
}

/**
 * One bare protocol connection to one broker address, CONNECT sent with the settings' token:
 * what `miso doctor` checks the handshake with, apart from any client. The caller closes it.
 */
export function openHandshake(s: Omit<ConnectionSettings, 'serviceUrl' | 'adminUrl'>, address: BrokerAddress, timeoutMs: number): Promise<Connection> {
  return Connection.open({
    physical: address,
    ...secure(s),
    connectionTimeoutMs: timeoutMs,
    operationTimeoutMs: timeoutMs,
    keepAliveIntervalMs: 30_000,
    log: () => {},
  });
}
