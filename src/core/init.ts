/**
 * `initCluster`: make a Pulsar cluster ready for miso, idempotently.
 *
 *   tenant (allowed on the clusters the broker reports) → namespace → namespace policies
 *   (retention, deduplication on, schema compatibility BACKWARD_TRANSITIVE, auto topic
 *   creation off) → the eight topics → one dead-letter topic per command subscription.
 *
 * Every step checks before it writes, so a second run reports everything as 'exists'.
 * A step refused by the broker (401/403 with a limited token, a 4xx) is reported as
 * 'failed' and the next steps still run; a broker that cannot be reached at all throws.
 *
 * Why inactive topics are kept: by default the broker deletes a topic without subscriptions
 * after 60 s idle — the events topics `tail` and `trace` read, and the dead-letter topics,
 * would vanish with their history (retention does not stop it).
 *
 * Why auto topic creation is off: a misspelled topic would otherwise be created silently
 * and a producer would write into the void. Dead-letter topics are normally auto-created
 * by consumers, hence they are created here up front.
 */
import type { ResolvedConfig } from '../config/index.js';
import { MisoError } from '../errors.js';
import {
  AdminError,
  AdminAuthError,
  type AdminClient,
  ConflictError,
  NotFoundError,
  type InactiveTopicPolicies,
  type RetentionPolicy,
  type SchemaCompatibilityStrategy,
} from '../pulsar/admin.js';
import { TOPICS, deadLetterTopics, topicName } from './topics.js';
import { openAdmin } from './connect.js';

export type InitStepStatus = 'created' | 'exists' | 'updated' | 'skipped' | 'failed';

export interface InitStep {
  name: string;
  status: InitStepStatus;
  /** What was found or set; for a failure, what went wrong. */
  detail?: string;
  /** For a failure: what to do about it. */
  hint?: string;
  /** For a failure: the HTTP status the broker answered, when it answered. */
  httpStatus?: number;
}

export interface InitReport {
  ok: boolean;
  adminUrl: string;
  tenant: string;
  namespace: string;
  clusters: string[];
  /** Fully qualified names of the topics miso uses (the eight and the dead-letter topics). */
  topics: string[];
  steps: InitStep[];
  counts: Record<InitStepStatus, number>;
}

export interface InitOptions {
  onStep?: (step: InitStep) => void;
  /** An admin client to use instead of one built from the config. */
  admin?: AdminClient;
  /**
   * Create the command and event topics with this many partitions (dead-letter topics stay
   * plain). A topic that already exists is reported as it is, never re-created.
   */
  partitions?: number;
}

/** What miso expects of its namespace; `miso doctor` checks against the same values. */
export const KEEP_INACTIVE_TOPICS: InactiveTopicPolicies = {
  inactiveTopicDeleteMode: 'delete_when_no_subscriptions',
  maxInactiveDurationSeconds: 60,
  deleteWhileInactive: false,
};

export const EXPECTED_SCHEMA_COMPATIBILITY: SchemaCompatibilityStrategy = 'BACKWARD_TRANSITIVE';

export function expectedRetention(cfg: Pick<ResolvedConfig, 'retentionMinutes' | 'retentionSizeMb'>): RetentionPolicy {
  return { retentionTimeInMinutes: cfg.retentionMinutes, retentionSizeInMB: cfg.retentionSizeMb };
}

/** Every topic `miso init` creates, short names: the eight, then the dead-letter topics. */
export function initTopicShortNames(): string[] {
  return [...TOPICS, ...deadLetterTopics().map((d) => d.short)];
}

export function describeRetention(r: RetentionPolicy | undefined): string {
  if (!r) return 'broker default';
  const t = r.retentionTimeInMinutes;
  const time = t === -1 ? 'forever' : t % 1440 === 0 && t > 0 ? `${t / 1440} d` : t % 60 === 0 && t > 0 ? `${t / 60} h` : `${t} min`;
  const size = r.retentionSizeInMB === -1 ? 'unlimited' : `${r.retentionSizeInMB} MB`;
  return `${time}, ${size}`;
}

/**
 * Errors that mean no later step can succeed: an unreachable broker, or credentials refused
 * outright (every request would answer the same 401, so one line says it). A refused
 * permission is per step: the token may allow the next one.
 */
function isFatal(err: unknown): boolean {
  if (err instanceof AdminAuthError) return err.kind === 'credentials';
  return err instanceof MisoError && !(err instanceof AdminError);
}

export async function initCluster(cfg: ResolvedConfig, opts: InitOptions = {}): Promise<InitReport> {
  const admin = opts.admin ?? openAdmin(cfg);
  const ns = { tenant: cfg.tenant, namespace: cfg.namespace };
  const nsName = `${cfg.tenant}/${cfg.namespace}`;
  const steps: InitStep[] = [];

  function record(step: InitStep): InitStep {
    steps.push(step);
    opts.onStep?.(step);
    return step;
  }

  async function step(name: string, run: () => Promise<Omit<InitStep, 'name'>>): Promise<InitStep> {
    try {
      return record({ name, ...(await run()) });
    } catch (err) {
      if (isFatal(err)) throw err;
      return record(failure(name, err));
    }
  }

  // The cluster list decides where the tenant may live. A limited token may not read it;
  // that only matters if the tenant still has to be created.
  let clusters: string[] = [];
  let clustersError: unknown;
  try {
    clusters = await admin.clusters();
  } catch (err) {
    if (isFatal(err)) throw err;
    clustersError = err;
  }

  // ── tenant ──
  await step(`tenant ${cfg.tenant}`, async () => {
    try {
      const info = await admin.tenant(cfg.tenant);
      return { status: 'exists', detail: `allowed on ${info.allowedClusters.join(', ') || 'no cluster'}` };
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof AdminAuthError)) throw err;
    }
    if (clustersError) throw clustersError;
    if (clusters.length === 0) {
      // A standalone registers its cluster a few seconds after the admin API starts answering.
      return {
        status: 'failed',
        detail: `cannot create tenant ${cfg.tenant}: the broker reports no cluster yet`,
        hint: 'The broker is probably still starting; run `miso init` again in a few seconds.',
      };
    }
    try {
      await admin.createTenant(cfg.tenant, { allowedClusters: clusters });
      return { status: 'created', detail: `allowed on ${clusters.join(', ')}` };
    } catch (err) {
      if (err instanceof ConflictError) return { status: 'exists' };
      throw err;
    }
  });

  // ── namespace ──
  const nsStep = await step(`namespace ${nsName}`, async () => {
    const known = await admin.namespaces(cfg.tenant).catch((err: unknown) => {
      if (err instanceof AdminAuthError) return undefined; // may still be allowed to create it
      throw err;
    });
    if (known?.includes(nsName)) return { status: 'exists' };
    const r = await admin.ensureNamespace(ns);
    return { status: r };
  });

  const nsMissing = nsStep.status === 'failed' && nsStep.httpStatus === 404;
  const skip = (name: string) => record({ name, status: 'skipped', detail: `namespace ${nsName} does not exist` });

  // ── namespace policies ──
  const retention = expectedRetention(cfg);
  const policySteps: [string, () => Promise<Omit<InitStep, 'name'>>][] = [];
  let current: Awaited<ReturnType<AdminClient['namespacePolicies']>> | undefined;
  if (!nsMissing) {
    try {
      current = await admin.namespacePolicies(ns);
    } catch (err) {
      if (isFatal(err)) throw err;
      current = undefined; // a limited token: set each policy without comparing first
    }
  }

  policySteps.push([
    'retention',
    async () => {
      const want = describeRetention(retention);
      if (current && sameRetention(current.retention, retention)) return { status: 'exists', detail: want };
      await admin.setRetention(ns, retention);
      return changed(current?.retention === undefined, want, describeRetention(current?.retention), current !== undefined);
    },
  ]);
  policySteps.push([
    'deduplication',
    async () => {
      if (current?.deduplicationEnabled === true) return { status: 'exists', detail: 'on' };
      await admin.setDeduplication(ns, true);
      return changed(
        current?.deduplicationEnabled === undefined,
        'on',
        current?.deduplicationEnabled === false ? 'off' : 'broker default',
        current !== undefined,
      );
    },
  ]);
  policySteps.push([
    'schema compatibility',
    async () => {
      if (current?.schemaCompatibilityStrategy === EXPECTED_SCHEMA_COMPATIBILITY) return { status: 'exists', detail: EXPECTED_SCHEMA_COMPATIBILITY };
      await admin.setSchemaCompatibility(ns, EXPECTED_SCHEMA_COMPATIBILITY);
      return changed(
        current?.schemaCompatibilityStrategy === undefined,
        EXPECTED_SCHEMA_COMPATIBILITY,
        current?.schemaCompatibilityStrategy ?? 'broker default',
        current !== undefined,
      );
    },
  ]);
  policySteps.push([
    'auto topic creation',
    async () => {
      const o = current?.autoTopicCreationOverride;
      if (o && o.allowAutoTopicCreation === false) return { status: 'exists', detail: 'off' };
      await admin.setAutoTopicCreation(ns, { allowAutoTopicCreation: false });
      return changed(o === undefined, 'off', o ? 'on' : 'broker default', current !== undefined);
    },
  ]);
  policySteps.push([
    'inactive topic deletion',
    async () => {
      const p = current?.inactiveTopicPolicies;
      if (p && p.deleteWhileInactive === false) return { status: 'exists', detail: 'off' };
      await admin.setInactiveTopicPolicies(ns, KEEP_INACTIVE_TOPICS);
      return changed(p === undefined, 'off', p ? 'on' : 'broker default (on)', current !== undefined);
    },
  ]);
  for (const [name, run] of policySteps) {
    if (nsMissing) skip(name);
    else await step(name, run);
  }

  // ── topics ──
  const shortNames = initTopicShortNames();
  const fullNames = shortNames.map((s) => topicName(cfg, s));
  let existing: Set<string> | undefined;
  let partitioned = new Set<string>();
  if (!nsMissing) {
    try {
      partitioned = new Set(await admin.partitionedTopics(ns));
      existing = new Set([...(await admin.topics(ns)), ...partitioned]);
    } catch (err) {
      if (isFatal(err)) throw err;
      existing = undefined; // a limited token: try each topic
    }
  }
  for (const [i, short] of shortNames.entries()) {
    const full = fullNames[i]!;
    const name = `topic ${short}`;
    if (nsMissing) {
      skip(name);
      continue;
    }
    const parts = opts.partitions !== undefined && opts.partitions > 0 && (TOPICS as readonly string[]).includes(short) ? opts.partitions : 0;
    await step(name, async () => {
      if (parts === 0) {
        if (existing?.has(full)) return { status: 'exists', ...(partitioned.has(full) ? { detail: 'partitioned' } : {}) };
        return { status: await admin.ensureTopic(full) };
      }
      if (existing?.has(full) && !partitioned.has(full))
        return { status: 'exists', detail: `not partitioned (asked for ${parts}); left as it is — delete it to re-create it partitioned` };
      const status = await admin.ensurePartitionedTopic(full, parts);
      if (status === 'created') return { status, detail: `${parts} partitions` };
      const have = (await admin.partitionedMetadata(full)).partitions;
      if (have === 0) return { status: 'exists', detail: `not partitioned (asked for ${parts}); left as it is — delete it to re-create it partitioned` };
      return { status: 'exists', detail: have === parts ? `${have} partitions` : `${have} partitions (asked for ${parts}); left as it is` };
    });
  }

  const counts: Record<InitStepStatus, number> = { created: 0, exists: 0, updated: 0, skipped: 0, failed: 0 };
  for (const s of steps) counts[s.status]++;
  return {
    ok: counts.failed === 0 && counts.skipped === 0,
    adminUrl: admin.adminUrl,
    tenant: cfg.tenant,
    namespace: cfg.namespace,
    clusters,
    topics: fullNames,
    steps,
    counts,
  };
}

function sameRetention(a: RetentionPolicy | undefined, b: RetentionPolicy): boolean {
  return a !== undefined && a.retentionTimeInMinutes === b.retentionTimeInMinutes && a.retentionSizeInMB === b.retentionSizeInMB;
}

/** 'created' when the namespace had no value of its own, 'updated' when it had another one. */
function changed(wasUnset: boolean, now: string, before: string, compared: boolean): Omit<InitStep, 'name'> {
  if (!compared) return { status: 'updated', detail: now };
  return wasUnset ? { status: 'created', detail: now } : { status: 'updated', detail: `${now} (was ${before})` };
}

function failure(name: string, err: unknown): InitStep {
  if (err instanceof AdminAuthError || err instanceof AdminError) {
    return { name, status: 'failed', detail: err.message, ...(err.hint ? { hint: err.hint } : {}), httpStatus: err.status };
  }
  if (err instanceof MisoError) return { name, status: 'failed', detail: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  throw err; // a bug, not a broker answer
}
