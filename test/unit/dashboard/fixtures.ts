import type { ObservedMessage, SourceInfo, WatchedTopic } from '../../../src/core/monitor.js';
import { TOPIC_INFO, deadLetterTopics } from '../../../src/core/topics.js';

export const INFO: SourceInfo = {
  serviceUrl: 'pulsar://127.0.0.1:6650',
  adminUrl: 'http://127.0.0.1:8080',
  profile: 'dev',
  tenant: 'miso-1-2025',
  namespace: 'default',
};

export const TOPICS: WatchedTopic[] = [
  ...TOPIC_INFO.map((t) => ({ short: t.short, name: `persistent://miso-1-2025/default/${t.short}`, role: t.kind, service: t.owner })),
  ...deadLetterTopics().map((d) => ({ short: d.short, name: `persistent://miso-1-2025/default/${d.short}`, role: 'dead-letter' as const, service: d.service })),
];

let seq = 0;

/** A decoded message as the monitor would hand it over. */
export function msg(p: Partial<ObservedMessage> & Pick<ObservedMessage, 'type' | 'correlationId'>): ObservedMessage {
  seq++;
  const service = (p.service ?? p.topic?.split('-')[0] ?? p.type.split(/[._]/)[0]) as ObservedMessage['service'];
  const kind = p.kind ?? (p.type.includes('.command.') ? 'command' : p.type === 'command.rejected.v1' ? 'rejection' : 'event');
  const role = p.role ?? (kind === 'command' ? 'commands' : kind === 'dead-letter' ? 'dead-letter' : 'events');
  return {
    topic: p.topic ?? `${service}-${role === 'commands' ? 'commands' : 'events'}`,
    role,
    service,
    kind,
    id: p.id ?? `id-${seq}`,
    causationId: p.causationId,
    timestamp: p.timestamp ?? 1_700_000_000_000 + seq,
    publishTime: p.publishTime ?? p.timestamp ?? 1_700_000_000_000 + seq,
    messageId: p.messageId ?? `1:${seq}:-1:-1`,
    payload: p.payload ?? {},
    ...p,
  } as ObservedMessage;
}

/**
 * The messages of one tracking workflow, in the order the services produce them:
 * tracking command → event → commission command → event → payment command → event.
 */
export function trackingWorkflow(cid: string, t0: number, opts: { stopAfter?: number; rejectPayment?: boolean } = {}): ObservedMessage[] {
  const steps: ObservedMessage[] = [];
  const c1 = msg({ type: 'tracking.create_event.command.v1', correlationId: cid, id: `${cid}-c1`, timestamp: t0, payload: { event_type: 'conversion' } });
  const e1 = msg({ type: 'tracking_event.created.v1', correlationId: cid, id: `${cid}-e1`, causationId: c1.id, timestamp: t0 + 4 });
  const c2 = msg({ type: 'commission.calculate.command.v1', correlationId: cid, id: `${cid}-c2`, causationId: e1.id, timestamp: t0 + 5 });
  const e2 = msg({
    type: 'commission.calculated.v1',
    correlationId: cid,
    id: `${cid}-e2`,
    causationId: c2.id,
    timestamp: t0 + 9,
    payload: { amount_minor: 15000, currency: 'EUR' },
  });
  const c3 = msg({ type: 'payment.process.command.v1', correlationId: cid, id: `${cid}-c3`, causationId: e2.id, timestamp: t0 + 10 });
  const e3 = opts.rejectPayment
    ? msg({
        type: 'command.rejected.v1',
        topic: 'payment-events',
        service: 'payment',
        correlationId: cid,
        id: `${cid}-r3`,
        causationId: c3.id,
        timestamp: t0 + 12,
        reason: 'INVALID_AMOUNT: amount must be positive',
      })
    : msg({ type: 'payment.processed.v1', correlationId: cid, id: `${cid}-e3`, causationId: c3.id, timestamp: t0 + 14 });
  steps.push(c1, e1, c2, e2, c3, e3);
  return steps.slice(0, opts.stopAfter ?? steps.length);
}
