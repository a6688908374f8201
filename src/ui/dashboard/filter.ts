import type { ObservedMessage } from '../../core/monitor.js';
import { messageText } from './text.js';

/**
 * The `/` filter. Words separated by spaces must all match (case-insensitive). A word may be
 * scoped: `type:created` matches the message type, `cid:4f2a` the correlation id, `topic:payment`
 * the topic, `kind:rejection` the kind; a bare word matches any of them or the text shown for the message.
 */
export interface MessageFilter {
  readonly text: string;
  matches(m: ObservedMessage): boolean;
}

export const NO_FILTER: MessageFilter = { text: '', matches: () => true };

export function parseFilter(text: string): MessageFilter {
  const words = text
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return NO_FILTER;
  const tests = words.map((word): ((m: ObservedMessage) => boolean) => {
    const colon = word.indexOf(':');
    const scope = colon > 0 ? word.slice(0, colon) : '';
    const needle = colon > 0 ? word.slice(colon + 1) : word;
    switch (scope) {
      case 'type':
        return (m) => m.type.toLowerCase().includes(needle);
      case 'cid':
      case 'corr':
      case 'correlation':
        return (m) => m.correlationId.toLowerCase().includes(needle);
      case 'topic':
        return (m) => m.topic.toLowerCase().includes(needle);
      case 'kind':
        return (m) => m.kind.includes(needle);
      default:
        return (m) =>
          m.type.toLowerCase().includes(word) ||
          m.correlationId.toLowerCase().includes(word) ||
          m.topic.toLowerCase().includes(word) ||
          m.kind.includes(word) ||
          messageText(m).toLowerCase().includes(word);
    }
  });
  return { text: text.trim(), matches: (m) => tests.every((t) => t(m)) };
}
