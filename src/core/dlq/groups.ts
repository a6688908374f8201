/**
 * Retry groups: dead letters that failed the same way, so they can be looked at and replayed
 * together. The fingerprint is service, message type, writer schema version and the error
 * with its particulars (ids, numbers, timestamps) stripped, so "payment 7f3c… failed 4
 * times" and "payment 91aa… failed 4 times" land in one group. Pure: no broker.
 */
import { createHash } from 'node:crypto';
import type { ServiceName } from '../../config/index.js';

/** What grouping needs of a dead letter (core/dlq.ts's DeadLetter fits). */
export interface Groupable {
  id: string;
  service: ServiceName;
  deadLetteredAt: number;
  lastError: string;
  envelope?: { type: string } | undefined;
  properties: Record<string, string>;
  raw: { schemaVersion?: Buffer | undefined };
  replayed?: readonly unknown[];
}

export interface DeadLetterGroup<D extends Groupable = Groupable> {
  /** Short stable id: the first 10 hex digits of the fingerprint's hash. */
  id: string;
  service: ServiceName;
  type: string;
  /** Writer schema version (the broker's number), or `none` when written without a schema. */
  schemaVersion: string;
  /** The error with ids, numbers and timestamps replaced by placeholders. */
  error: string;
  count: number;
  /** How many of them were replayed already. */
  replayed: number;
  firstSeen: number;
  lastSeen: number;
  /** The most recent dead letter of the group, as an example. */
  example: D;
  letters: D[];
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?/g;
const MESSAGE_ID = /\b-?\d+:-?\d+(?::-?\d+){0,2}\b/g;
const HEX_ID = /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi;
const NUMBER = /-?\b\d+(?:\.\d+)?\b/g;
// Quoted particulars: a value echoed back in the error ("campaign 'c-123' not found").
const QUOTED = /(["'`])(?:(?!\1).){1,80}\1/g;

/** The error with what varies from message to message stripped: `<id>`, `<time>`, `<n>`, `<value>`. */
export function normaliseError(error: string): string {
  return error
    .replace(ISO_TIME, '<time>')
    .replace(UUID, '<id>')
    .replace(MESSAGE_ID, '<id>')
    .replace(HEX_ID, '<id>')
    .replace(QUOTED, '<value>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Pulsar's schema version is an 8-byte big-endian number. */
export function schemaVersionOf(v: Buffer | undefined): string {
  if (!v || v.length === 0) return 'none';
  return v.length === 8 ? v.readBigInt64BE(0).toString() : v.toString('hex');
}

export function fingerprintOf(d: Groupable): { id: string; service: ServiceName; type: string; schemaVersion: string; error: string } {
  const type = d.envelope?.type ?? d.properties.type ?? 'undecodable';
  const schemaVersion = schemaVersionOf(d.raw.schemaVersion);
  const error = normaliseError(d.lastError);
  const id = createHash('sha256').update([d.service, type, schemaVersion, error].join('\u0000')).digest('hex').slice(0, 10);
  return { id, service: d.service, type, schemaVersion, error };
}

/** The groups, largest first (then most recent). */
export function groupDeadLetters<D extends Groupable>(letters: readonly D[]): DeadLetterGroup<D>[] {
  const groups = new Map<string, DeadLetterGroup<D>>();
  for (const d of letters) {
    const f = fingerprintOf(d);
    let g = groups.get(f.id);
    if (!g) {
      g = { ...f, count: 0, replayed: 0, firstSeen: d.deadLetteredAt, lastSeen: d.deadLetteredAt, example: d, letters: [] };
      groups.set(f.id, g);
    }
    g.count++;
    if (d.replayed?.length) g.replayed++;
    g.letters.push(d);
    g.firstSeen = Math.min(g.firstSeen, d.deadLetteredAt);
    if (d.deadLetteredAt >= g.lastSeen) {
      g.lastSeen = d.deadLetteredAt;
      g.example = d;
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
}

/** The group `ref` names (its id or a unique prefix of 4+ characters). */
export function findGroup<D extends Groupable>(groups: readonly DeadLetterGroup<D>[], ref: string): DeadLetterGroup<D> | undefined {
  const r = ref.trim().toLowerCase();
  const exact = groups.find((g) => g.id === r);
  if (exact) return exact;
  const prefixed = r.length >= 4 ? groups.filter((g) => g.id.startsWith(r)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
