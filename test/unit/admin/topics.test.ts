import { describe, expect, it } from 'vitest';
import {
  TOPICS,
  COMMAND_TOPICS,
  EVENT_TOPICS,
  TOPIC_INFO,
  topicName,
  shortTopicName,
  topicOwner,
  serviceSubscription,
  deadLetterTopic,
  deadLetterTopics,
  commandTopicOf,
  eventTopicOf,
  isTopicShortName,
} from '../../../src/core/topics.js';

describe('topic naming', () => {
  it('has the eight topics, four commands then four events', () => {
    expect(TOPICS).toHaveLength(8);
    expect(new Set(TOPICS).size).toBe(8);
    expect(COMMAND_TOPICS.every((t) => t.endsWith('-commands'))).toBe(true);
    expect(EVENT_TOPICS.every((t) => t.endsWith('-events'))).toBe(true);
  });

  it('qualifies short names with tenant and namespace, leaves full names alone', () => {
    const scope = { tenant: 'miso-1-2025', namespace: 'default' };
    expect(topicName(scope, 'campaign-events')).toBe('persistent://miso-1-2025/default/campaign-events');
    expect(topicName(scope, 'persistent://a/b/c')).toBe('persistent://a/b/c');
    expect(shortTopicName('persistent://a/b/payment-commands')).toBe('payment-commands');
    expect(shortTopicName('payment-commands')).toBe('payment-commands');
  });

  it('knows which service owns each topic', () => {
    expect(topicOwner('commission-commands')).toBe('commission');
    expect(topicOwner('tracking-events')).toBe('tracking');
    expect(TOPIC_INFO.filter((t) => t.kind === 'commands').map((t) => t.owner)).toEqual(['campaign', 'tracking', 'commission', 'payment']);
    expect(commandTopicOf('payment')).toBe('payment-commands');
    expect(eventTopicOf('campaign')).toBe('campaign-events');
    expect(isTopicShortName('campaign-events')).toBe(true);
    expect(isTopicShortName('campain-events')).toBe(false);
  });

  it('names subscriptions and dead-letter topics the way Pulsar does by default', () => {
    expect(serviceSubscription('campaign')).toBe('campaign-service');
    expect(deadLetterTopic('campaign-commands', 'campaign-service')).toBe('campaign-commands-campaign-service-DLQ');
    expect(deadLetterTopic('persistent://t/ns/campaign-commands', 'campaign-service')).toBe('persistent://t/ns/campaign-commands-campaign-service-DLQ');
    expect(deadLetterTopics().map((d) => d.short)).toEqual([
      'campaign-commands-campaign-service-DLQ',
      'tracking-commands-tracking-service-DLQ',
      'commission-commands-commission-service-DLQ',
      'payment-commands-payment-service-DLQ',
    ]);
  });
});
