import type { ObservedMessage } from '../../core/monitor.js';
import { keyFields } from '../render/message.js';

const cache = new WeakMap<ObservedMessage, string>();

/**
 * The text shown after a message's type and correlation id: why it failed for rejections,
 * dead letters and undecodable bytes, else its key fields as `miso tail` prints them.
 * Cached per message (messages are never mutated), since filtering reads it often.
 */
export function messageText(m: ObservedMessage): string {
  let t = cache.get(m);
  if (t === undefined) {
    t = m.kind === 'rejection' || m.kind === 'dead-letter' || m.kind === 'undecodable' ? (m.reason ?? '') : keyFields(m.type, m.payload);
    cache.set(m, t);
  }
  return t;
}
