/**
 * The envelope every message travels in: id, type, timestamp, correlation id (the workflow),
 * causation id (the message that caused this one) and the payload. Also what Pulsar sees
 * of it without decoding: the message properties and the message key.
 */
import { randomUUID } from 'node:crypto';
import type { MessageType } from './registry.js';
import { specOf } from './registry.js';
import { loadSchemaSources } from './schemas.js';
import type { PayloadByType, DefaultedFields } from './types.js';

/** The decoded payload of a message type (fields with defaults are present). */
export type Payload<T extends MessageType> = PayloadByType[T];

/** What a sender provides: the payload with the fields that have a schema default made optional. */
export type PayloadInput<T extends MessageType> = Omit<PayloadByType[T], DefaultedFields[T]> &
  Partial<Pick<PayloadByType[T], DefaultedFields[T] & keyof PayloadByType[T]>>;

export interface Envelope<T extends MessageType = MessageType> {
  /** Unique id of this message (UUID). */
  id: string;
  /** Message type, e.g. `campaign.create.command.v1`. */
  type: T;
  /** Creation time in milliseconds since the epoch. */
  timestamp: number;
  /** The workflow: the id of the message that started it, carried by everything it causes. */
  correlation_id: string;
  /** Id of the message that caused this one; null for the command that starts a workflow. */
  causation_id: string | null;
  payload: PayloadByType[T];
}

/** An envelope of any type, narrowed by checking `type`. */
export type AnyEnvelope = { [K in MessageType]: Envelope<K> }[MessageType];

export interface EnvelopeOptions {
  /** Join an existing workflow; default: a new workflow whose id is this message's id. */
  correlationId?: string;
  causationId?: string | null;
  /** Shorthand for a message caused by another: takes its correlation id and names it as the cause. */
  causedBy?: { id: string; correlation_id: string };
  id?: string;
  timestamp?: number;
}

/** Pulsar message property names: tools filter on these without decoding the payload. */
export const PROPERTY = {
  type: 'type',
  id: 'id',
  correlationId: 'correlation_id',
  causationId: 'causation_id',
} as const;

/**
 * A new envelope for `payload`. Fields the schema gives a default are filled in so the
 * envelope equals what a consumer decodes. No validation here (see `validate`); encoding
 * refuses a payload that does not fit the schema.
 */
export function newEnvelope<T extends MessageType>(type: T, payload: PayloadInput<T>, opts: EnvelopeOptions = {}): Envelope<T> {
  const id = opts.id ?? randomUUID();
  return {
    id,
    type,
    timestamp: opts.timestamp ?? Date.now(),
    correlation_id: opts.correlationId ?? opts.causedBy?.correlation_id ?? id,
    causation_id: opts.causationId !== undefined ? opts.causationId : (opts.causedBy?.id ?? null),
    payload: withDefaults(type, payload as Record<string, unknown>) as unknown as PayloadByType[T],
  };
}

/** The payload with every missing field that has a schema default set to that default. */
export function withDefaults(type: string, payload: Record<string, unknown>): Record<string, unknown> {
  const def = loadSchemaSources().messages.get(type);
  if (!def) return payload;
  let out: Record<string, unknown> | undefined;
  for (const f of def.fields ?? []) {
    if (f.default !== undefined && payload[f.name] === undefined) {
      out ??= { ...payload };
      out[f.name] = structuredClone(f.default);
    }
  }
  return out ?? payload;
}

/** The payload with fresh UUIDs in the id fields the sender may leave out (`campaign_id` of a create...). */
export function withGeneratedIds(type: string, payload: Record<string, unknown>): Record<string, unknown> {
  const spec = specOf(type);
  if (!spec) return payload;
  const out = { ...payload };
  for (const f of spec.generatedIds) if (out[f] === undefined || out[f] === null || out[f] === '') out[f] = randomUUID();
  return out;
}

/** The Pulsar properties of a message: type, id, correlation id and (when set) causation id. */
export function messageProperties(env: Pick<Envelope, 'id' | 'type' | 'correlation_id' | 'causation_id'>): Record<string, string> {
  const props: Record<string, string> = {
    [PROPERTY.type]: env.type,
    [PROPERTY.id]: env.id,
    [PROPERTY.correlationId]: env.correlation_id,
  };
  if (env.causation_id) props[PROPERTY.causationId] = env.causation_id;
  return props;
}

/**
 * The Pulsar message key: the aggregate id named by the type's `keyField` (campaign id,
 * tracking event id, commission id). A rejection is keyed by the aggregate it was about,
 * else by the refused command's id.
 */
export function messageKey(env: Pick<Envelope, 'type' | 'payload'>): string | undefined {
  const spec = specOf(env.type);
  const payload = env.payload as unknown as Record<string, unknown>;
  if (!spec) return undefined;
  if (spec.kind === 'rejection') {
    const agg = payload.aggregate_id;
    if (typeof agg === 'string' && agg !== '') return agg;
  }
  const v = payload[spec.keyField];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
