/** What producers, consumers and readers need from the client that owns them. */
import type { Connection } from './connection.js';
import type { ProducerOptions } from './producer.js';
import type { Producer, SchemaInfo } from './types.js';

export interface Closable {
  close(): Promise<void>;
}

export interface ClientContext {
  nextId(kind: 'request' | 'producer' | 'consumer'): number;
  /** Look the topic up (following redirects) and return a pooled connection to its owner. */
  connectionFor(topic: string): Promise<Connection>;
  /** A pooled connection to the service URL (for lookups, partition metadata, schemas). */
  serviceConnection(): Promise<Connection>;
  log(line: string): void;
  /**
   * Run a first-time create (producer, subscription), retrying errors the broker marks as
   * transient until the operation timeout. Unreachable brokers fail at once.
   */
  retryStartup<T>(fn: () => Promise<T>, what: string): Promise<T>;
  /** A handle starts reconnecting; call the returned function when it is done. */
  reconnecting(handle: object): () => void;
  reportRetry(what: string, attempt: number, delayMs: number): void;
  /** Longest wait between reconnect attempts (the client's `reconnect.maxDelayMs`). */
  reconnectMaxDelayMs?: number;
  unregister(handle: Closable): void;
  getSchema(topic: string, version?: Buffer): Promise<SchemaInfo | undefined>;
  createProducer(opts: ProducerOptions): Promise<Producer>;
}
