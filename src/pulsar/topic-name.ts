import { UsageError } from '../errors.js';

const PARTITION_SUFFIX = /-partition-(\d+)$/;

/**
 * Full topic name: "persistent://tenant/namespace/name". Short forms follow Pulsar:
 * "name" → public/default, "tenant/namespace/name" → persistent.
 */
export function fullTopicName(topic: string): string {
  const t = topic.trim();
  if (/^(persistent|non-persistent):\/\/[^/]+\/[^/]+\/.+$/.test(t)) return t;
  if (t.includes('://')) throw new UsageError(`"${topic}" is not a topic name`, { hint: 'Use persistent://tenant/namespace/name.' });
  const parts = t.split('/');
  if (parts.length === 1 && parts[0] !== '') return `persistent://public/default/${t}`;
  if (parts.length === 3 && parts.every((p) => p !== '')) return `persistent://${t}`;
  throw new UsageError(`"${topic}" is not a topic name`, { hint: 'Use persistent://tenant/namespace/name (or tenant/namespace/name).' });
}

export function partitionTopicName(topic: string, index: number): string {
  return `${topic}-partition-${index}`;
}

/** Partition index encoded in a partition topic's name, or -1. */
export function partitionIndexOf(topic: string): number {
  const m = PARTITION_SUFFIX.exec(topic);
  return m ? Number(m[1]) : -1;
}

/** Name without the partition suffix. */
export function baseTopicName(topic: string): string {
  return topic.replace(PARTITION_SUFFIX, '');
}

/** The last path element: "persistent://t/n/orders" → "orders". */
export function localTopicName(topic: string): string {
  const i = topic.lastIndexOf('/');
  return i >= 0 ? topic.slice(i + 1) : topic;
}
