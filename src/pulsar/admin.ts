/**
 * Pulsar admin REST client (`/admin/v2`): clusters, tenants, namespaces and their policies,
 * topics, stats, subscriptions and the schema registry.
 *
 *   const admin = new AdminClient({ adminUrl, token, tlsTrustCertsFile });
 *   await admin.ensureTenant('acme', { allowedClusters: await admin.clusters() });
 *   const stats = await admin.topicStats('persistent://acme/default/campaign-events');
 *
 * Namespaces are given as "tenant/namespace" or `{ tenant, namespace }` (a ResolvedConfig
 * works); topics as "persistent://tenant/namespace/name" or "tenant/namespace/name".
 * Every failure is typed (see ./admin-http.ts): 404 → NotFoundError, 409 → ConflictError,
 * 401/403 → AdminAuthError, refused → UnreachableError, bad certificate → AdminTlsError
 * (a TlsError), a schema refused as incompatible → IncompatibleSchemaError (the same class
 * the binary client raises).
 * The `ensure*` helpers are idempotent: "already exists" (409) is success.
 *
 * The response shapes and name parsing are in ./admin-types.ts. The client stays over the
 * ~400 lines we aim for: it is one flat list of thin calls, one per REST route, grouped by
 * resource; split by resource, callers would need several clients for one admin API.
 */
import { UsageError } from '../errors.js';
import { AdminHttp, AdminError, NotFoundError, ConflictError, parseJson, type AdminConnectionOptions } from './admin-http.js';
import {
  parseNamespace,
  parseTopic,
  schemaPath,
  topicPath,
  type NamespaceRef,
  type TenantInfo,
  type RetentionPolicy,
  type AutoTopicCreationOverride,
  type InactiveTopicPolicies,
  type SchemaCompatibilityStrategy,
  type NamespacePolicies,
  type SubscriptionStats,
  type TopicStats,
  type SchemaDefinition,
  type SchemaInfo,
  type CompatibilityResult,
  type EnsureResult,
} from './admin-types.js';
import { IncompatibleSchemaError } from './errors.js';

export { AdminError, NotFoundError, ConflictError, AdminAuthError, AdminTlsError, type AdminConnectionOptions } from './admin-http.js';
export { IncompatibleSchemaError, TlsError } from './errors.js';

export * from './admin-types.js';

const enc = encodeURIComponent;

async function existsOr(op: () => Promise<unknown>): Promise<EnsureResult> {
  try {
    await op();
    return 'created';
  } catch (err) {
    if (err instanceof ConflictError) return 'exists';
    throw err;
  }
}

export class AdminClient {
  readonly http: AdminHttp;

  constructor(opts: AdminConnectionOptions) {
    this.http = new AdminHttp(opts);
  }

  get adminUrl(): string {
    return this.http.adminUrl;
  }

  // ── clusters and tenants ──────────────────────────────────────────────

  async clusters(): Promise<string[]> {
    return (await this.http.getJson<string[]>('/admin/v2/clusters', 'list clusters')) ?? [];
  }

  /** The broker's Pulsar version, e.g. "4.0.8". */
  async brokerVersion(): Promise<string> {
    const res = await this.http.request('GET', '/admin/v2/brokers/version', { what: 'read the broker version' });
    return res.body.trim().replace(/^"|"$/g, '');
  }

  async tenants(): Promise<string[]> {
    return (await this.http.getJson<string[]>('/admin/v2/tenants', 'list tenants')) ?? [];
  }

  async tenant(name: string): Promise<TenantInfo> {
    const info = await this.http.getJson<TenantInfo>(`/admin/v2/tenants/${enc(name)}`, `read tenant ${name}`);
    return { allowedClusters: info?.allowedClusters ?? [], ...(info?.adminRoles ? { adminRoles: info.adminRoles } : {}) };
  }

  async createTenant(name: string, info: TenantInfo): Promise<void> {
    await this.http.request('PUT', `/admin/v2/tenants/${enc(name)}`, { body: info, what: `create tenant ${name}` });
  }

  async updateTenant(name: string, info: TenantInfo): Promise<void> {
    await this.http.request('POST', `/admin/v2/tenants/${enc(name)}`, { body: info, what: `update tenant ${name}` });
  }

  /**
   * Delete a tenant. With `recursive`, first its namespaces with their topics (the broker's own
   * force-delete is off by default in standalone, so miso walks the tree itself).
   */
  async deleteTenant(name: string, opts: { recursive?: boolean } = {}): Promise<void> {
    if (opts.recursive) {
      for (const ns of await this.namespaces(name)) await this.deleteNamespace(ns, { recursive: true });
    }
    await this.http.request('DELETE', `/admin/v2/tenants/${enc(name)}`, { what: `delete tenant ${name}` });
  }

  async ensureTenant(name: string, info: TenantInfo): Promise<EnsureResult> {
    return existsOr(() => this.createTenant(name, info));
  }

  // ── namespaces ────────────────────────────────────────────────────────

  /** The tenant's namespaces as "tenant/namespace". */
  async namespaces(tenant: string): Promise<string[]> {
    return (await this.http.getJson<string[]>(`/admin/v2/namespaces/${enc(tenant)}`, `list namespaces of ${tenant}`)) ?? [];
  }

  async createNamespace(ns: NamespaceRef): Promise<void> {
    const n = parseNamespace(ns);
    await this.http.request('PUT', `/admin/v2/namespaces/${n.path}`, { what: `create namespace ${n.tenant}/${n.namespace}` });
  }

  async deleteNamespace(ns: NamespaceRef, opts: { recursive?: boolean } = {}): Promise<void> {
    const n = parseNamespace(ns);
    if (opts.recursive) {
      const partitioned = await this.partitionedTopics(ns);
      for (const t of partitioned) await this.deletePartitionedTopic(t, { force: true });
      const isPartition = (t: string) => partitioned.some((p) => t.startsWith(`${p}-partition-`));
      for (const t of await this.topics(ns)) {
        if (isPartition(t)) continue;
        try {
          await this.deleteTopic(t, { force: true });
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
    }
    await this.http.request('DELETE', `/admin/v2/namespaces/${n.path}`, { what: `delete namespace ${n.tenant}/${n.namespace}` });
  }

  async ensureNamespace(ns: NamespaceRef): Promise<EnsureResult> {
    return existsOr(() => this.createNamespace(ns));
  }

  async namespacePolicies(ns: NamespaceRef): Promise<NamespacePolicies> {
    const n = parseNamespace(ns);
    const raw = (await this.http.getJson<Record<string, unknown>>(`/admin/v2/namespaces/${n.path}`, `read the policies of ${n.tenant}/${n.namespace}`)) ?? {};
    const strategy = raw.schema_compatibility_strategy as SchemaCompatibilityStrategy | undefined;
    return {
      retention: (raw.retention_policies as RetentionPolicy | null | undefined) ?? undefined,
      deduplicationEnabled: (raw.deduplicationEnabled as boolean | null | undefined) ?? undefined,
      schemaCompatibilityStrategy: strategy && strategy !== 'UNDEFINED' ? strategy : undefined,
      autoTopicCreationOverride: (raw.autoTopicCreationOverride as AutoTopicCreationOverride | null | undefined) ?? undefined,
      messageTtlSeconds: (raw.message_ttl_in_seconds as number | null | undefined) ?? undefined,
      inactiveTopicPolicies: (raw.inactive_topic_policies as InactiveTopicPolicies | null | undefined) ?? undefined,
      raw,
    };
  }

  private policyPath(ns: NamespaceRef, policy: string): { path: string; label: string } {
    const n = parseNamespace(ns);
    return { path: `/admin/v2/namespaces/${n.path}/${policy}`, label: `${n.tenant}/${n.namespace}` };
  }

  /** `undefined` when the namespace has no retention policy of its own (broker default applies). */
  async retention(ns: NamespaceRef): Promise<RetentionPolicy | undefined> {
    const p = this.policyPath(ns, 'retention');
    return this.http.getJson<RetentionPolicy>(p.path, `read the retention of ${p.label}`);
  }

  async setRetention(ns: NamespaceRef, policy: RetentionPolicy): Promise<void> {
    const p = this.policyPath(ns, 'retention');
    await this.http.request('POST', p.path, { body: policy, what: `set the retention of ${p.label}` });
  }

  /** `undefined` when not set on the namespace (the broker-wide default applies). */
  async deduplication(ns: NamespaceRef): Promise<boolean | undefined> {
    const p = this.policyPath(ns, 'deduplication');
    return this.http.getJson<boolean>(p.path, `read deduplication of ${p.label}`);
  }

  async setDeduplication(ns: NamespaceRef, enabled: boolean): Promise<void> {
    const p = this.policyPath(ns, 'deduplication');
    await this.http.request('POST', p.path, { body: enabled, what: `set deduplication of ${p.label}` });
  }

  /** `undefined` for UNDEFINED (the broker-wide strategy applies). */
  async schemaCompatibility(ns: NamespaceRef): Promise<SchemaCompatibilityStrategy | undefined> {
    const p = this.policyPath(ns, 'schemaCompatibilityStrategy');
    const s = await this.http.getJson<SchemaCompatibilityStrategy>(p.path, `read the schema compatibility strategy of ${p.label}`);
    return s && s !== 'UNDEFINED' ? s : undefined;
  }

  async setSchemaCompatibility(ns: NamespaceRef, strategy: SchemaCompatibilityStrategy): Promise<void> {
    const p = this.policyPath(ns, 'schemaCompatibilityStrategy');
    await this.http.request('PUT', p.path, { body: strategy, what: `set the schema compatibility strategy of ${p.label}` });
  }

  /** `undefined` when the namespace has no override (the broker's allowAutoTopicCreation applies). */
  async autoTopicCreation(ns: NamespaceRef): Promise<AutoTopicCreationOverride | undefined> {
    const p = this.policyPath(ns, 'autoTopicCreation');
    return this.http.getJson<AutoTopicCreationOverride>(p.path, `read the auto topic creation override of ${p.label}`);
  }

  async setAutoTopicCreation(ns: NamespaceRef, override: AutoTopicCreationOverride): Promise<void> {
    const p = this.policyPath(ns, 'autoTopicCreation');
    await this.http.request('POST', p.path, { body: override, what: `set the auto topic creation override of ${p.label}` });
  }

  async removeAutoTopicCreation(ns: NamespaceRef): Promise<void> {
    const p = this.policyPath(ns, 'autoTopicCreation');
    await this.http.request('DELETE', p.path, { what: `remove the auto topic creation override of ${p.label}` });
  }

  /** `undefined` when the namespace has no policy of its own (the broker-wide setting applies). */
  async inactiveTopicPolicies(ns: NamespaceRef): Promise<InactiveTopicPolicies | undefined> {
    const p = this.policyPath(ns, 'inactiveTopicPolicies');
    return this.http.getJson<InactiveTopicPolicies>(p.path, `read the inactive topic policies of ${p.label}`);
  }

  async setInactiveTopicPolicies(ns: NamespaceRef, policies: InactiveTopicPolicies): Promise<void> {
    const p = this.policyPath(ns, 'inactiveTopicPolicies');
    await this.http.request('POST', p.path, { body: policies, what: `set the inactive topic policies of ${p.label}` });
  }

  /** Seconds; `undefined` when not set. */
  async messageTtl(ns: NamespaceRef): Promise<number | undefined> {
    const p = this.policyPath(ns, 'messageTTL');
    return this.http.getJson<number>(p.path, `read the message TTL of ${p.label}`);
  }

  async setMessageTtl(ns: NamespaceRef, seconds: number): Promise<void> {
    const p = this.policyPath(ns, 'messageTTL');
    await this.http.request('POST', p.path, { body: seconds, what: `set the message TTL of ${p.label}` });
  }

  /** Roles and the actions they may take on the namespace (produce, consume, functions, …). */
  async permissions(ns: NamespaceRef): Promise<Record<string, string[]>> {
    const p = this.policyPath(ns, 'permissions');
    return (await this.http.getJson<Record<string, string[]>>(p.path, `read the permissions of ${p.label}`)) ?? {};
  }

  async grantPermission(ns: NamespaceRef, role: string, actions: ('produce' | 'consume' | 'functions' | 'sources' | 'sinks' | 'packages')[]): Promise<void> {
    const p = this.policyPath(ns, `permissions/${enc(role)}`);
    await this.http.request('POST', p.path, { body: actions, what: `grant ${actions.join('+')} on ${p.label} to ${role}` });
  }

  async revokePermission(ns: NamespaceRef, role: string): Promise<void> {
    const p = this.policyPath(ns, `permissions/${enc(role)}`);
    await this.http.request('DELETE', p.path, { what: `revoke the permissions of ${role} on ${p.label}` });
  }

  // ── topics ────────────────────────────────────────────────────────────

  /** Persistent topics of the namespace, partitions listed one by one (`…-partition-0`). */
  async topics(ns: NamespaceRef): Promise<string[]> {
    const n = parseNamespace(ns);
    return (await this.http.getJson<string[]>(`/admin/v2/persistent/${n.path}`, `list topics of ${n.tenant}/${n.namespace}`)) ?? [];
  }

  /** Partitioned topics of the namespace (their base names). */
  async partitionedTopics(ns: NamespaceRef): Promise<string[]> {
    const n = parseNamespace(ns);
    return (await this.http.getJson<string[]>(`/admin/v2/persistent/${n.path}/partitioned`, `list partitioned topics of ${n.tenant}/${n.namespace}`)) ?? [];
  }

  async createTopic(topic: string): Promise<void> {
    const t = parseTopic(topic);
    await this.http.request('PUT', topicPath(t), { what: `create topic ${t.full}` });
  }

  async createPartitionedTopic(topic: string, partitions: number): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError(`partitions must be a whole number ≥ 1, got ${partitions}`);
    const t = parseTopic(topic);
    await this.http.request('PUT', `${topicPath(t)}/partitions`, { body: partitions, what: `create partitioned topic ${t.full}` });
  }

  async deleteTopic(topic: string, opts: { force?: boolean } = {}): Promise<void> {
    const t = parseTopic(topic);
    await this.http.request('DELETE', topicPath(t), { query: { force: opts.force || undefined }, what: `delete topic ${t.full}` });
  }

  async deletePartitionedTopic(topic: string, opts: { force?: boolean } = {}): Promise<void> {
    const t = parseTopic(topic);
    await this.http.request('DELETE', `${topicPath(t)}/partitions`, { query: { force: opts.force || undefined }, what: `delete partitioned topic ${t.full}` });
  }

  /** Number of partitions; 0 for a plain (non-partitioned) topic — and for one that does not exist. */
  async partitionedMetadata(topic: string): Promise<{ partitions: number }> {
    const t = parseTopic(topic);
    const m = await this.http.getJson<{ partitions?: number }>(`${topicPath(t)}/partitions`, `read the partitions of ${t.full}`);
    return { partitions: m?.partitions ?? 0 };
  }

  /** Whether the topic (plain, or partitioned by its base name) exists. */
  async topicExists(topic: string): Promise<boolean> {
    const t = parseTopic(topic);
    const ns = { tenant: t.tenant, namespace: t.namespace };
    const [plain, partitioned] = await Promise.all([this.topics(ns), this.partitionedTopics(ns)]);
    return plain.includes(t.full) || partitioned.includes(t.full);
  }

  async ensureTopic(topic: string): Promise<EnsureResult> {
    return existsOr(() => this.createTopic(topic));
  }

  async ensurePartitionedTopic(topic: string, partitions: number): Promise<EnsureResult> {
    return existsOr(() => this.createPartitionedTopic(topic, partitions));
  }

  // ── stats and subscriptions ───────────────────────────────────────────

  async topicStats(topic: string): Promise<TopicStats> {
    const t = parseTopic(topic);
    const raw = (await this.http.getJson<Record<string, unknown>>(`${topicPath(t)}/stats`, `read the stats of ${t.full}`)) ?? {};
    return normalizeStats(raw, 0);
  }

  /** Stats of a partitioned topic, aggregated over its partitions by the broker. */
  async partitionedStats(topic: string): Promise<TopicStats> {
    const t = parseTopic(topic);
    const raw =
      (await this.http.getJson<Record<string, unknown>>(`${topicPath(t)}/partitioned-stats`, `read the stats of ${t.full}`, { perPartition: false })) ?? {};
    const meta = raw.metadata as { partitions?: number } | undefined;
    return normalizeStats(raw, meta?.partitions ?? 0);
  }

  async subscriptions(topic: string): Promise<string[]> {
    const t = parseTopic(topic);
    return (await this.http.getJson<string[]>(`${topicPath(t)}/subscriptions`, `list the subscriptions of ${t.full}`)) ?? [];
  }

  /** A durable subscription starting at the latest message (or the earliest). */
  async createSubscription(topic: string, subscription: string, opts: { position?: 'latest' | 'earliest' } = {}): Promise<void> {
    const t = parseTopic(topic);
    const body = opts.position === 'earliest' ? { ledgerId: 0, entryId: 0 } : undefined;
    await this.http.request('PUT', `${topicPath(t)}/subscription/${enc(subscription)}`, { body, what: `create subscription ${subscription} on ${t.full}` });
  }

  async deleteSubscription(topic: string, subscription: string, opts: { force?: boolean } = {}): Promise<void> {
    const t = parseTopic(topic);
    await this.http.request('DELETE', `${topicPath(t)}/subscription/${enc(subscription)}`, {
      query: { force: opts.force || undefined },
      what: `delete subscription ${subscription} on ${t.full}`,
    });
  }

  // ── schemas ───────────────────────────────────────────────────────────

  /** The latest schema, or the given version; `undefined` when there is none (404). */
  async getSchema(topic: string, version?: number): Promise<SchemaInfo | undefined> {
    const t = parseTopic(topic);
    const path = `${schemaPath(t)}/schema${version === undefined ? '' : `/${version}`}`;
    try {
      const s = await this.http.getJson<RawSchema>(path, `read the schema of ${t.full}`);
      return s ? toSchemaInfo(s) : undefined;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Every version, oldest first; empty when the topic has no schema. */
  async getSchemas(topic: string): Promise<SchemaInfo[]> {
    const t = parseTopic(topic);
    try {
      const all = await this.http.getJson<{ getSchemaResponses?: RawSchema[] }>(`${schemaPath(t)}/schemas`, `read the schemas of ${t.full}`);
      return (all?.getSchemaResponses ?? []).map(toSchemaInfo).sort((a, b) => a.version - b.version);
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  }

  /**
   * Register a schema version. Posting the current version again returns its number (no new
   * version). An incompatible schema throws IncompatibleSchemaError with the broker's reason.
   */
  async postSchema(topic: string, def: SchemaDefinition): Promise<{ version: number }> {
    const t = parseTopic(topic);
    const what = `register a schema for ${t.full}`;
    try {
      const res = await this.http.request('POST', `${schemaPath(t)}/schema`, {
        body: { type: def.type, schema: def.schema, properties: def.properties ?? {} },
        what,
      });
      const v = parseJson<{ version?: { version?: number } | number }>(res, what);
      const version = typeof v?.version === 'number' ? v.version : v?.version?.version;
      return { version: version ?? -1 };
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new IncompatibleSchemaError(`the schema for ${t.full} is not compatible with the registered versions: ${err.reason}`, 'IncompatibleSchema', {
          hint: 'Evolve it compatibly (new fields need defaults; never rename or retype a field) or register it as a new message type.',
        });
      }
      throw err;
    }
  }

  /** Delete the topic's schema (all versions; the next upload starts a new history). */
  async deleteSchema(topic: string): Promise<void> {
    const t = parseTopic(topic);
    await this.http.request('DELETE', `${schemaPath(t)}/schema`, { what: `delete the schema of ${t.full}` });
  }

  /** Would the broker accept this schema for the topic? Never throws for "incompatible". */
  async checkSchemaCompatibility(topic: string, def: SchemaDefinition): Promise<CompatibilityResult> {
    const t = parseTopic(topic);
    const what = `check schema compatibility for ${t.full}`;
    try {
      const res = await this.http.request('POST', `${schemaPath(t)}/compatibility`, {
        body: { type: def.type, schema: def.schema, properties: def.properties ?? {} },
        what,
      });
      const r = parseJson<{ compatibility?: boolean; isCompatible?: boolean; schemaCompatibilityStrategy?: string }>(res, what);
      return { compatible: Boolean(r?.compatibility ?? r?.isCompatible), strategy: r?.schemaCompatibilityStrategy };
    } catch (err) {
      // Pulsar 4.0 reports an incompatible schema as a server error (or a 409) carrying
      // IncompatibleSchemaException; that is an answer, not a failure.
      if (err instanceof AdminError && (err.status === 409 || /incompatib|compatibility check/i.test(err.reason))) {
        const strategy = /with strategy (\w+)/.exec(err.reason)?.[1];
        return { compatible: false, strategy, reason: err.reason };
      }
      throw err;
    }
  }
}

interface RawSchema {
  version: number;
  type: string;
  data: string;
  timestamp: number;
  properties?: Record<string, string>;
}

function toSchemaInfo(s: RawSchema): SchemaInfo {
  return { version: Number(s.version), type: s.type, data: s.data, timestamp: Number(s.timestamp), properties: s.properties ?? {} };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function normalizeStats(raw: Record<string, unknown>, partitions: number): TopicStats {
  const subs: Record<string, SubscriptionStats> = {};
  for (const [name, s] of Object.entries((raw.subscriptions ?? {}) as Record<string, Record<string, unknown>>)) {
    subs[name] = {
      type: String(s.type ?? 'None'),
      msgBacklog: num(s.msgBacklog),
      msgRateOut: num(s.msgRateOut),
      msgRateRedeliver: num(s.msgRateRedeliver),
      unackedMessages: num(s.unackedMessages),
      consumers: ((s.consumers ?? []) as Record<string, unknown>[]).map((c) => ({
        consumerName: String(c.consumerName ?? ''),
        msgRateOut: num(c.msgRateOut),
        unackedMessages: num(c.unackedMessages),
        address: typeof c.address === 'string' ? c.address : undefined,
        connectedSince: typeof c.connectedSince === 'string' ? c.connectedSince : undefined,
      })),
    };
  }
  return {
    msgRateIn: num(raw.msgRateIn),
    msgRateOut: num(raw.msgRateOut),
    msgThroughputIn: num(raw.msgThroughputIn),
    msgThroughputOut: num(raw.msgThroughputOut),
    msgInCounter: num(raw.msgInCounter),
    msgOutCounter: num(raw.msgOutCounter),
    storageSize: num(raw.storageSize),
    backlogSize: num(raw.backlogSize),
    publishers: ((raw.publishers ?? []) as Record<string, unknown>[]).map((p) => ({
      producerName: String(p.producerName ?? ''),
      msgRateIn: num(p.msgRateIn),
      address: typeof p.address === 'string' ? p.address : undefined,
    })),
    subscriptions: subs,
    partitions,
    raw,
  };
}
