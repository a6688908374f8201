import type { ServiceName } from '../../config/index.js';
import type { Migration } from '../store/migrations.js';
import type { Sql } from '../store/sql.js';

/**
 * What a service is, apart from how it is hosted: its commands and their handlers, the events
 * it follows, its database tables and its HTTP routes. The host (`service-host.ts`) gives every
 * service the same envelope handling, idempotency, outbox, retries, dead-lettering and modes.
 */

/** A message a handler wants sent: the host wraps it in an envelope (ids, correlation, causation). */
export interface Emit {
  type: string;
  payload: Record<string, unknown>;
}

export interface Decision {
  /** Events and follow-up commands, in order. Follow-up commands name the first event as their cause. */
  emit: Emit[];
  /** What an HTTP caller gets back (the created or changed resource). */
  result?: unknown;
}

export interface FieldProblem {
  path: string;
  message: string;
}

export type RejectionReason = 'validation_failed' | 'not_found' | 'duplicate' | 'conflict' | 'undecodable';

/**
 * The command breaks a rule and will never succeed as sent: acknowledged, answered with a
 * rejection event, never retried.
 */
export class CommandRejected extends Error {
  constructor(
    readonly reasonCode: RejectionReason,
    message: string,
    readonly fieldErrors: FieldProblem[] = [],
    readonly aggregateId?: string,
  ) {
    super(message);
    this.name = 'CommandRejected';
  }
}

/** Shorthand for a validation failure over one or more fields. */
export function invalid(problems: FieldProblem[], aggregateId?: string): CommandRejected {
  const msg = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new CommandRejected('validation_failed', `invalid command: ${msg}`, problems, aggregateId);
}

/**
 * The command may succeed later, when this service's view of another service catches up
 * (tracking learns campaigns from campaign-events). Retried like a transient failure while the
 * message has been redelivered fewer than `rejectAfter` times, then rejected.
 */
export class RetryLater extends Error {
  constructor(
    readonly rejection: CommandRejected,
    readonly rejectAfter = 2,
  ) {
    super(rejection.message);
    this.name = 'RetryLater';
  }
}

export interface HandlerContext<R> {
  repo: R;
  /** Envelope id of the message being handled. */
  messageId: string;
  correlationId: string;
  /** Wall clock for this message (ms), one value per message. */
  now: number;
  /** How many times the broker has redelivered this message (0 on first delivery). */
  redeliveryCount: number;
  /** HTTP callers get no redelivery: `RetryLater` is rejected at once. */
  via: 'event' | 'http';
}

// Payloads arrive validated against the Avro schema of their type, so handlers may read them
// through the catalog's TypeScript types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<R> = (payload: any, ctx: HandlerContext<R>) => Promise<Decision>;

export interface Route<R> {
  method: 'GET' | 'POST' | 'PUT';
  /** Path with `:param` segments, e.g. `/campaigns/:campaign_id/videos`. */
  path: string;
  /** POST routes send a command through the same path as the command topic. */
  command?: string;
  /** For commands: fills payload fields from path parameters. */
  fromParams?: Record<string, string>;
  /** Queries and other reads/writes that are not commands. */
  query?: (repo: R, params: Record<string, string>, url: URL, body: unknown) => Promise<{ status: number; body: unknown }>;
  /** Run the query inside a store transaction (for writes such as a commission plan). */
  writes?: boolean;
  summary: string;
}

export interface ServiceDefinition<R> {
  name: ServiceName;
  /** The service's own tables (after the core tables: versions start at 2). */
  migrations: readonly Migration[];
  /** The repository over a store's SQL (SQLite or PostgreSQL), bound to one transaction. */
  repo(sql: Sql): R;
  /** Command type → handler. */
  commands: Record<string, Handler<R>>;
  /** Command topics (short names) this service sends follow-up commands to. */
  sendsTo?: readonly string[];
  /** Event topics (short names) this service follows with its own subscription, and handlers by type. */
  follows?: { topic: string; handlers: Record<string, Handler<R>> }[];
  routes: Route<R>[];
  /** Counters for `/health` (e.g. campaigns: 3), read from the repository. */
  stats?(repo: R): Promise<Record<string, number>>;
  /** Release resources the definition owns (the payout provider's ledger). */
  close?(): Promise<void>;
}
