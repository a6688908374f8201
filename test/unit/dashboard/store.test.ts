import { describe, expect, it } from 'vitest';
import { DashboardStore, STALL_AFTER_MS } from '../../../src/ui/dashboard/store.js';
import { RingBuffer } from '../../../src/ui/dashboard/ring.js';
import { parseFilter } from '../../../src/ui/dashboard/filter.js';
import { parseTopicStats } from '../../../src/core/monitor.js';
import { INFO, TOPICS, msg, trackingWorkflow } from './fixtures.js';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.latest(2)).toEqual([5, 4]);
    expect(r.latest(5, (n) => n % 2 === 1)).toEqual([5, 3]);
    expect(r.size).toBe(3);
    expect(r.total).toBe(5);
    expect(r.at(0)).toBe(3);
    expect(r.at(3)).toBeUndefined();
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
  });
});

describe('DashboardStore workflows', () => {
  it('follows a workflow through its stages to done', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    const steps = trackingWorkflow('wf-1', c.now());
    const statuses: string[] = [];
    for (const m of steps) {
      store.message(m);
      const w = store.workflow('wf-1')!;
      statuses.push(`${w.status}:${w.stages.map((s) => s.status[0]).join('')}`);
    }
    // n=none p=pending d=done f=failed for campaign, tracking, commission, payment
    expect(statuses).toEqual(['in-flight:npnn', 'done:ndnn', 'in-flight:ndpn', 'done:nddn', 'in-flight:nddp', 'done:nddd']);
    const w = store.workflow('wf-1')!;
    expect(w.durationMs).toBe(14);
    expect(w.messages).toBe(6);
    expect(w.lastType).toBe('payment.processed.v1');
  });

  it('marks a rejected command as a failed stage with its reason', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    for (const m of trackingWorkflow('wf-r', c.now(), { rejectPayment: true })) store.message(m);
    const w = store.workflow('wf-r')!;
    expect(w.status).toBe('failed');
    expect(w.stages.find((s) => s.service === 'payment')).toMatchObject({ status: 'failed', reason: 'INVALID_AMOUNT: amount must be positive' });
    expect(w.failure).toBe('payment: INVALID_AMOUNT: amount must be positive');
  });

  it('marks a dead-lettered command as failed', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    const cmd = msg({ type: 'campaign.create.command.v1', correlationId: 'wf-d', id: 'cmd-1' });
    store.message(cmd);
    store.message({ ...cmd, kind: 'dead-letter', role: 'dead-letter', topic: 'campaign-commands-campaign-service-DLQ', reason: 'redelivered 3 times' });
    const w = store.workflow('wf-d')!;
    expect(w.status).toBe('failed');
    expect(w.stages[0]).toMatchObject({ service: 'campaign', status: 'failed', reason: 'redelivered 3 times' });
  });

  it('does not leave a command pending when its answer was read first', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    const [cmd, evt] = trackingWorkflow('wf-o', c.now(), { stopAfter: 2 });
    store.message(evt!);
    store.message(cmd!);
    expect(store.workflow('wf-o')!.status).toBe('done');
  });

  it('shows a workflow waiting too long as stalled', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    store.message(trackingWorkflow('wf-s', c.now(), { stopAfter: 1 })[0]!);
    expect(store.workflow('wf-s')!.status).toBe('in-flight');
    c.advance(STALL_AFTER_MS + 1);
    expect(store.workflow('wf-s')!.status).toBe('stalled');
  });

  it('lists in-flight workflows first, then the most recent', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    for (const m of trackingWorkflow('done-old', c.now())) store.message(m);
    store.message(trackingWorkflow('busy', c.now() + 100, { stopAfter: 1 })[0]!);
    for (const m of trackingWorkflow('done-new', c.now() + 200)) store.message(m);
    expect(store.workflows(10).map((w) => w.correlationId)).toEqual(['busy', 'done-new', 'done-old']);
    expect(store.workflows(10, parseFilter('new')).map((w) => w.correlationId)).toEqual(['done-new']);
  });

  it('keeps memory bounded: oldest workflows and messages are dropped', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now, limits: { workflows: 10, feed: 50, messagesPerWorkflow: 4 } });
    for (let i = 0; i < 100; i++) for (const m of trackingWorkflow(`wf-${i}`, c.now() + i)) store.message(m);
    expect(store.workflowCount).toBe(10);
    expect(store.workflow('wf-0')).toBeUndefined();
    expect(store.workflow('wf-99')).toBeDefined();
    expect(store.workflowMessages('wf-99')).toHaveLength(4);
    expect(store.workflow('wf-99')!.messages).toBe(6);
    const feed = store.feed(1000);
    expect(feed.rows).toHaveLength(50);
    expect(feed.total).toBe(600);
  });
});

describe('DashboardStore feed', () => {
  it('is newest first, filters, and freezes while paused', () => {
    const store = new DashboardStore(INFO, TOPICS);
    const a = msg({ type: 'campaign.create.command.v1', correlationId: 'aaaa1111', payload: { name: 'Summer' } });
    const b = msg({ type: 'campaign.created.v1', correlationId: 'aaaa1111', causationId: a.id });
    store.message(a);
    store.message(b);
    expect(store.feed(10).rows.map((m) => m.type)).toEqual(['campaign.created.v1', 'campaign.create.command.v1']);
    expect(store.feed(10, parseFilter('summer')).rows).toEqual([a]);
    expect(store.feed(10, parseFilter('type:created')).rows).toEqual([b]);
    expect(store.feed(10, parseFilter('kind:command cid:aaaa')).rows).toEqual([a]);
    expect(store.feed(10, parseFilter('cid:zzzz')).rows).toEqual([]);

    const pausedAt = store.feed(0).total;
    store.message(msg({ type: 'video.added.v1', correlationId: 'bbbb' }));
    const paused = store.feed(10, undefined, pausedAt);
    expect(paused.rows.map((m) => m.type)).toEqual(['campaign.created.v1', 'campaign.create.command.v1']);
    expect(paused.newSincePause).toBe(1);
    expect(store.feed(10).rows[0]!.type).toBe('video.added.v1');
  });
});

describe('DashboardStore topics', () => {
  it('counts messages per second over the last minute', () => {
    const c = clock(1_700_000_000_000);
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 20; i++) store.message(msg({ type: 'campaign.created.v1', correlationId: `x${s}-${i}` }));
      c.advance(1000);
    }
    const row = store.topicRows().find((r) => r.short === 'campaign-events')!;
    expect(row.seen).toBe(200);
    expect(row.rate).toBeCloseTo(20, 0);
    expect(row.spark.slice(-11)).toEqual([20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 0]);
    expect(store.topicRows().find((r) => r.short === 'payment-events')!.rate).toBe(0);
    c.advance(120_000);
    const later = store.topicRows().find((r) => r.short === 'campaign-events')!;
    expect(later.rate).toBe(0);
    expect(later.spark.every((v) => v === 0)).toBe(true);
  });

  it('derives backlog trends and which services are up from stats', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    expect(store.services().every((s) => s.consumers === undefined)).toBe(true);
    const poll = (backlog: number, consumers: number) =>
      store.stats({
        at: c.now(),
        topics: [
          parseTopicStats('payment-commands', {
            msgRateIn: 12.5,
            subscriptions: {
              'payment-service': { msgBacklog: backlog, consumers: Array.from({ length: consumers }, () => ({})), isDurable: true },
              'reader-abc': { msgBacklog: 0, consumers: [{}], isDurable: false },
            },
          }),
        ],
      });
    poll(10, 0);
    c.advance(2000);
    poll(50, 0);
    let row = store.topicRows().find((r) => r.short === 'payment-commands')!;
    expect(row.subscriptions).toHaveLength(1);
    expect(row.subscriptions[0]).toMatchObject({ name: 'payment-service', backlog: 50, trend: 'growing', consumers: 0 });
    expect(row.subscriptions[0]!.trendPerSec).toBeCloseTo(20);
    expect(row.brokerRateIn).toBe(12.5);
    expect(store.services().find((s) => s.service === 'payment')!.consumers).toBe(0);
    expect(store.services().find((s) => s.service === 'campaign')!.consumers).toBe(0);

    c.advance(2000);
    poll(30, 1);
    row = store.topicRows().find((r) => r.short === 'payment-commands')!;
    expect(row.subscriptions[0]!.trend).toBe('growing'); // still above the sample 4 s ago? 30 > 10
    c.advance(2000);
    poll(5, 1);
    row = store.topicRows().find((r) => r.short === 'payment-commands')!;
    expect(row.subscriptions[0]!.trend).toBe('draining');
    expect(store.services().find((s) => s.service === 'payment')!.consumers).toBe(1);
  });

  it('tracks connection state and how long it has held', () => {
    const c = clock();
    const store = new DashboardStore(INFO, TOPICS, { now: c.now });
    store.connection({ broker: 'connected', admin: 'ok' });
    c.advance(5000);
    store.connection({ broker: 'reconnecting', detail: 'connection refused' });
    c.advance(3000);
    expect(store.connectionView()).toMatchObject({ broker: 'reconnecting', admin: 'ok', detail: 'connection refused', sinceMs: 3000 });
    store.connection({ broker: 'connected' });
    expect(store.connectionView().detail).toBeUndefined();
    expect(store.connectionView().sinceMs).toBe(0);
  });

  it('notifies subscribers on every change', () => {
    const store = new DashboardStore(INFO, TOPICS);
    let n = 0;
    const off = store.subscribe(() => n++);
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'c' }));
    store.connection({ broker: 'connected' });
    off();
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'c' }));
    expect(n).toBe(2);
    expect(store.version).toBe(3);
  });
});
