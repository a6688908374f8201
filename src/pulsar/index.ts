/**
 * miso's pure-TypeScript Apache Pulsar client.
 *
 *   const client = new PulsarClient({ serviceUrl: 'pulsar://127.0.0.1:6650' });
 *   const producer = await client.createProducer({ topic, schema: { type: 'AVRO', schema: avsc } });
 *   await producer.send({ payload, key, properties });
 *   const consumer = await client.subscribe({ topic, subscription: 'svc', type: 'Shared', deadLetter: { maxRedeliverCount: 3 } });
 *   for await (const m of consumer) { ...; await consumer.ack(m); }
 *   const reader = await client.createReader({ topic, start: 'earliest' });
 *   while (await reader.hasMessageAvailable()) console.log(await reader.readNext());
 *   client.status.on('status', (s) => ...);   // connected / disconnected / reconnecting / closed
 *   await client.close();
 */
export { PulsarClient, type PulsarClientOptions, type SubscribeOptions } from './client.js';
export type { BatchingOptions, ProducerOptions } from './producer.js';
export type { ConsumerOptions, DeadLetterOptions } from './consumer.js';
export { DEAD_LETTER_PROPERTIES } from './consumer/dead-letter.js';
export type { ReaderOptions, ReaderStart } from './reader.js';
export { MessageId } from './message-id.js';
export { propertyOf } from './received-message.js';
export { StatusStream, type ConnectionState, type ConnectionStatus, type StatusListener } from './status.js';
export { fullTopicName, partitionTopicName, partitionIndexOf, baseTopicName, localTopicName } from './topic-name.js';
export { parseServiceUrl, type BrokerAddress } from './url.js';
export * from './errors.js';
export type { Consumer, Message, OutgoingMessage, Producer, Reader, SchemaInfo, SubscriptionType } from './types.js';
