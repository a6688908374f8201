import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_BOOKKEEPING,
  DLQ_PROPS,
  commandTopicOfDeadLetterTopic,
  deadLetterOrigin,
  deadLetterOriginTopic,
  deadLetterReason,
} from '../../../src/core/read/dead-letter.js';

const DLQ = 'persistent://t/ns/tracking-commands-tracking-service-DLQ';

describe('the origin of a dead letter', () => {
  it("uses the names the client stamps (Pulsar's own)", () => {
    expect(DLQ_PROPS).toMatchObject({ realTopic: 'REAL_TOPIC', originMessageId: 'ORIGIN_MESSAGE_ID' });
    expect(DEAD_LETTER_BOOKKEEPING).toContain('MISO_DEAD_LETTER_REASON');
    expect(DEAD_LETTER_BOOKKEEPING).not.toContain(DLQ_PROPS.replayedFrom);
  });

  it('is the catalog topic named by REAL_TOPIC, partition suffix dropped', () => {
    expect(deadLetterOrigin({ REAL_TOPIC: 'persistent://t/ns/payment-commands' })).toBe('payment-commands');
    expect(deadLetterOrigin({ REAL_TOPIC: 'persistent://t/ns/payment-commands-partition-3' })).toBe('payment-commands');
    expect(deadLetterOriginTopic({ REAL_TOPIC: 'persistent://t/ns/payment-commands-partition-3' })).toBe('persistent://t/ns/payment-commands');
  });

  it("falls back to the dead-letter topic's name when the property is missing or not a catalog topic", () => {
    expect(deadLetterOrigin({}, DLQ)).toBe('tracking-commands');
    expect(deadLetterOrigin({ REAL_TOPIC: 'persistent://t/ns/somebody-elses-topic' }, DLQ)).toBe('tracking-commands');
    // The property wins over the name: a message dead-lettered from another topic into this DLQ.
    expect(deadLetterOrigin({ REAL_TOPIC: 'persistent://t/ns/payment-commands' }, DLQ)).toBe('payment-commands');
  });

  it('is unknown when neither says', () => {
    expect(deadLetterOrigin({})).toBeUndefined();
    expect(deadLetterOrigin({ REAL_TOPIC: 'persistent://t/ns/other' }, 'persistent://t/ns/other-DLQ')).toBeUndefined();
    expect(commandTopicOfDeadLetterTopic('persistent://t/ns/tracking-commands')).toBeUndefined();
    expect(commandTopicOfDeadLetterTopic('campaign-commands-x-DLQ')).toBe('campaign-commands');
  });

  it('gives the reason the service wrote, else any error-like property', () => {
    expect(deadLetterReason({ MISO_DEAD_LETTER_REASON: 'bad bytes', last_error: 'x' })).toBe('bad bytes');
    expect(deadLetterReason({ last_error: 'database locked' })).toBe('database locked');
    expect(deadLetterReason({ type: 'campaign.create.command.v1' })).toBeUndefined();
  });
});
