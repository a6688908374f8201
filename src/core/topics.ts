/**
 * Topic naming: the one place that knows what miso's topics are called.
 *
 * - `TOPICS`: the eight short names, four command topics and four domain-event topics.
 * - `topicName(cfg, short)`: `persistent://<tenant>/<namespace>/<short>`.
 * - `topicOwner(short)`: the service that consumes a command topic / publishes an event topic.
 * - `serviceSubscription(service)`: the subscription a service uses on its command topic
 *   (`campaign-service`).
 * - `deadLetterTopic(commandTopic, subscription)`: where that subscription's poison messages go
 *   (`<commandTopic>-<subscription>-DLQ`, Pulsar's own default naming, so official clients agree).
 *
 * Pure: no I/O, no broker.
 */
import { SERVICES, type ServiceName } from '../config/index.js';

export const COMMAND_TOPICS = ['campaign-commands', 'tracking-commands', 'commission-commands', 'payment-commands'] as const;
export const EVENT_TOPICS = ['campaign-events', 'tracking-events', 'commission-events', 'payment-events'] as const;
export const TOPICS = [...COMMAND_TOPICS, ...EVENT_TOPICS] as const;

export type CommandTopic = (typeof COMMAND_TOPICS)[number];
export type EventTopic = (typeof EVENT_TOPICS)[number];
export type TopicShortName = (typeof TOPICS)[number];

export interface TopicInfo {
  short: TopicShortName;
  kind: 'commands' | 'events';
  /** The service that consumes this command topic, or publishes this event topic. */
  owner: ServiceName;
}

export const TOPIC_INFO: readonly TopicInfo[] = TOPICS.map((short) => {
  const [service, kind] = short.split('-') as [ServiceName, 'commands' | 'events'];
  return { short, kind, owner: service };
});

/** Where topics live: the tenant and namespace of a resolved config (or anything shaped like it). */
export interface TopicScope {
  tenant: string;
  namespace: string;
}

export function isTopicShortName(name: string): name is TopicShortName {
  return (TOPICS as readonly string[]).includes(name);
}

/** `persistent://<tenant>/<namespace>/<short>`. A name that is already fully qualified is returned as is. */
export function topicName(scope: TopicScope, short: string): string {
  if (short.includes('://')) return short;
  return `persistent://${scope.tenant}/${scope.namespace}/${short}`;
}

/** The short (local) name of a topic: `persistent://t/ns/campaign-events` → `campaign-events`. */
export function shortTopicName(topic: string): string {
  const i = topic.lastIndexOf('/');
  return i < 0 ? topic : topic.slice(i + 1);
}

export function topicOwner(short: TopicShortName): ServiceName {
  return TOPIC_INFO.find((t) => t.short === short)!.owner;
}

export function commandTopicOf(service: ServiceName): CommandTopic {
  return `${service}-commands`;
}

export function eventTopicOf(service: ServiceName): EventTopic {
  return `${service}-events`;
}

/** The subscription a service holds on its command topic. Stable, so restarts resume where they stopped. */
export function serviceSubscription(service: ServiceName): string {
  return `${service}-service`;
}

/**
 * The dead-letter topic of one subscription on a command topic. Keeps the form of the input:
 * a short name gives a short name, a full name a full name.
 */
export function deadLetterTopic(commandTopic: string, subscription: string): string {
  return `${commandTopic}-${subscription}-DLQ`;
}

/** The four dead-letter topics miso pre-creates (auto topic creation is off in its namespace). */
export function deadLetterTopics(): { service: ServiceName; short: string }[] {
  return SERVICES.map((service) => ({ service, short: deadLetterTopic(commandTopicOf(service), serviceSubscription(service)) }));
}
