/**
 * The shapes of the admin REST API (`/admin/v2`) as miso reads them, and how namespace and
 * topic names become its paths. Re-exported by ./admin.ts, which holds the client.
 */
import { UsageError } from '../errors.js';

export type NamespaceRef = string | { tenant: string; namespace: string };

export interface TopicRef {
  domain: 'persistent' | 'non-persistent';
  tenant: string;
  namespace: string;
  local: string;
  /** persistent://tenant/namespace/local */
  full: string;
}

export interface TenantInfo {
  allowedClusters: string[];
  adminRoles?: string[];
}

export interface RetentionPolicy {
  /** -1 = forever, 0 = none */
  retentionTimeInMinutes: number;
  /** -1 = unlimited, 0 = none */
  retentionSizeInMB: number;
}

export interface AutoTopicCreationOverride {
  allowAutoTopicCreation: boolean;
  topicType?: 'non-partitioned' | 'partitioned';
  defaultNumPartitions?: number;
}

/** When the broker may delete a topic nobody uses (it does by default after 60 s without subscriptions). */
export interface InactiveTopicPolicies {
  inactiveTopicDeleteMode: 'delete_when_no_subscriptions' | 'delete_when_subscriptions_caught_up';
  maxInactiveDurationSeconds: number;
  deleteWhileInactive: boolean;
}

export type SchemaCompatibilityStrategy =
  | 'UNDEFINED'
  | 'ALWAYS_INCOMPATIBLE'
  | 'ALWAYS_COMPATIBLE'
  | 'BACKWARD'
  | 'FORWARD'
  | 'FULL'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD_TRANSITIVE'
  | 'FULL_TRANSITIVE';

/** The namespace policies miso cares about, from `GET /namespaces/{t}/{ns}` (the raw document is kept). */
export interface NamespacePolicies {
  retention: RetentionPolicy | undefined;
  deduplicationEnabled: boolean | undefined;
  schemaCompatibilityStrategy: SchemaCompatibilityStrategy | undefined;
  autoTopicCreationOverride: AutoTopicCreationOverride | undefined;
  messageTtlSeconds: number | undefined;
  inactiveTopicPolicies: InactiveTopicPolicies | undefined;
  raw: Record<string, unknown>;
}

export interface ConsumerStats {
  consumerName: string;
  msgRateOut: number;
  unackedMessages: number;
  address: string | undefined;
  connectedSince: string | undefined;
}

export interface SubscriptionStats {
  type: string;
  msgBacklog: number;
  msgRateOut: number;
  msgRateRedeliver: number;
  unackedMessages: number;
  consumers: ConsumerStats[];
}

export interface PublisherStats {
  producerName: string;
  msgRateIn: number;
  address: string | undefined;
}

/** Topic statistics, the same shape for a plain topic and a partitioned one (summed over partitions). */
export interface TopicStats {
  msgRateIn: number;
  msgRateOut: number;
  msgThroughputIn: number;
  msgThroughputOut: number;
  msgInCounter: number;
  msgOutCounter: number;
  storageSize: number;
  backlogSize: number;
  publishers: PublisherStats[];
  subscriptions: Record<string, SubscriptionStats>;
  /** Number of partitions for a partitioned topic, 0 for a plain one. */
  partitions: number;
  raw: Record<string, unknown>;
}

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF' | 'STRING' | 'BYTES' | 'KEY_VALUE' | (string & {});

export interface SchemaDefinition {
  type: SchemaType;
  /** The schema text (an Avro schema as JSON text for AVRO). */
  schema: string;
  properties?: Record<string, string>;
}

export interface SchemaInfo {
  version: number;
  type: SchemaType;
  /** The schema text as stored. */
  data: string;
  timestamp: number;
  properties: Record<string, string>;
}

export interface CompatibilityResult {
  compatible: boolean;
  strategy: string | undefined;
  /** Why not, in the broker's words, when not compatible. */
  reason?: string;
}

export type EnsureResult = 'created' | 'exists';

const enc = encodeURIComponent;

export function parseNamespace(ns: NamespaceRef): { tenant: string; namespace: string; path: string } {
  const [tenant, namespace] = typeof ns === 'string' ? ns.split('/') : [ns.tenant, ns.namespace];
  if (!tenant || !namespace || (typeof ns === 'string' && ns.split('/').length !== 2)) {
    throw new UsageError(`"${typeof ns === 'string' ? ns : `${ns.tenant}/${ns.namespace}`}" is not a namespace`, { hint: 'Give it as tenant/namespace.' });
  }
  return { tenant, namespace, path: `${enc(tenant)}/${enc(namespace)}` };
}

export function parseTopic(topic: string): TopicRef {
  const m = /^(?:(persistent|non-persistent):\/\/)?([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
  if (!m || m[4]!.includes('/')) {
    throw new UsageError(`"${topic}" is not a full topic name`, { hint: 'Give it as persistent://tenant/namespace/topic.' });
  }
  const domain = (m[1] ?? 'persistent') as TopicRef['domain'];
  return { domain, tenant: m[2]!, namespace: m[3]!, local: m[4]!, full: `${domain}://${m[2]}/${m[3]}/${m[4]}` };
}

export function topicPath(t: TopicRef): string {
  return `/admin/v2/${t.domain}/${enc(t.tenant)}/${enc(t.namespace)}/${enc(t.local)}`;
}

export function schemaPath(t: TopicRef): string {
  return `/admin/v2/schemas/${enc(t.tenant)}/${enc(t.namespace)}/${enc(t.local)}`;
}
