import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Header } from '../../../src/ui/dashboard/components/Header.js';
import { TopicsPanel } from '../../../src/ui/dashboard/components/TopicsPanel.js';
import { FeedPanel } from '../../../src/ui/dashboard/components/FeedPanel.js';
import { WorkflowsPanel } from '../../../src/ui/dashboard/components/WorkflowsPanel.js';
import { TraceView } from '../../../src/ui/dashboard/components/TraceView.js';
import { ErrorBoundary } from '../../../src/ui/dashboard/components/ErrorBoundary.js';
import { ThemeContext, makeTheme } from '../../../src/ui/dashboard/theme.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { parseTopicStats } from '../../../src/core/monitor.js';
import { sparkline, duration, shortId } from '../../../src/ui/dashboard/format.js';
import { traceLines } from '../../../src/ui/dashboard/trace-lines.js';
import { Text } from 'ink';
import type { ReactElement } from 'react';
import { INFO, TOPICS, msg, trackingWorkflow } from './fixtures.js';

const plain = (el: ReactElement) => render(<ThemeContext.Provider value={makeTheme(false)}>{el}</ThemeContext.Provider>);

function storeAt(now = 1_700_000_000_000) {
  let t = now;
  const store = new DashboardStore(INFO, TOPICS, { now: () => t });
  return {
    store,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('format helpers', () => {
  it('draws sparklines scaled to the largest value', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▂▃▅█');
    expect(sparkline([0, 0, 0])).toBe('   ');
    expect(sparkline([5, 5], 4)).toBe('  ██');
  });
  it('formats durations and ids', () => {
    expect(duration(14)).toBe('14ms');
    expect(duration(1500)).toBe('1.50s');
    expect(duration(125_000)).toBe('2m05s');
    expect(shortId('4f2a1b3c-aaaa-bbbb')).toBe('4f2a1b3c');
  });
});

describe('Header', () => {
  it('shows broker, profile, tenant/namespace and connection state', () => {
    const { lastFrame } = plain(
      <Header
        info={INFO}
        connection={{ broker: 'connected', admin: 'ok', sinceMs: 0 }}
        services={[
          { service: 'campaign', consumers: 1 },
          { service: 'payment', consumers: 0 },
        ]}
        width={100}
        paused={false}
        filter=""
        clock="12:00:01"
      />,
    );
    const f = lastFrame()!;
    expect(f).toContain('pulsar://127.0.0.1:6650');
    expect(f).toContain('● connected');
    expect(f).toContain('profile dev');
    expect(f).toContain('miso-1-2025/default');
    expect(f).toContain('campaign ● up(1)');
    expect(f).toContain('payment ○ down');
    expect(f).not.toContain('⚠');
  });

  it('says plainly when the broker is gone', () => {
    const { lastFrame } = plain(
      <Header
        info={INFO}
        connection={{ broker: 'reconnecting', admin: 'unreachable', detail: 'connect ECONNREFUSED 127.0.0.1:6650', sinceMs: 4200 }}
        services={[]}
        width={100}
        paused
        filter="type:payment"
        clock="12:00:01"
      />,
    );
    const f = lastFrame()!;
    expect(f).toContain('○ reconnecting');
    expect(f).toContain('⚠ broker reconnecting for 4.20s — retrying by itself, figures may be stale · connect ECONNREFUSED');
    expect(f).toContain('PAUSED');
    expect(f).toContain('filter: type:payment');
  });
});

describe('TopicsPanel', () => {
  it('shows rate, sparkline, backlog with trend and consumers per subscription', () => {
    const { store, advance } = storeAt();
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < (s + 1) * 2; i++) store.message(msg({ type: 'payment.process.command.v1', correlationId: `p${s}${i}` }));
      advance(1000);
    }
    const stats = (backlog: number) => ({
      at: store.now(),
      topics: [parseTopicStats('payment-commands', { subscriptions: { 'payment-service': { msgBacklog: backlog, consumers: [{}, {}], isDurable: true } } })],
    });
    store.stats(stats(3));
    advance(2000);
    store.stats(stats(9));
    const { lastFrame } = plain(<TopicsPanel rows={store.topicRows()} width={100} height={20} focused={false} />);
    const f = lastFrame()!;
    const line = f.split('\n').find((l) => l.startsWith('payment-commands'))!;
    // 24 messages in the last 5 s (the first second fell out of the window 2 s ago).
    expect(line).toMatch(/^payment-commands\s+4\.8\s/);
    expect(line).toMatch(/\s30 payment-service/);
    expect(line).toContain('payment-service');
    expect(line).toMatch(/\s9\s+↑ \+3\.0\/s\s+2$/);
    expect(line).toMatch(/[▂▃▄▅▆▇█]/);
    expect(f).toContain('(no subscription)');
    expect(f).toContain('campaign DLQ');
  });

  it('summarises rows that do not fit', () => {
    const { store } = storeAt();
    const { lastFrame } = plain(<TopicsPanel rows={store.topicRows()} width={100} height={6} focused={false} />);
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^\+9 more: payment-commands 0\/s, campaign-events 0\/s/);
  });
});

describe('FeedPanel', () => {
  it('prints one line per message tagged by kind, newest first, with short correlation ids', () => {
    const { store } = storeAt();
    const steps = trackingWorkflow('0123456789abcdef', 1_700_000_000_000, { rejectPayment: true });
    for (const m of steps) store.message(m);
    store.message(
      msg({ ...steps[0]!, kind: 'dead-letter', role: 'dead-letter', topic: 'tracking-commands-tracking-service-DLQ', reason: 'redelivered 3 times' }),
    );
    store.message(msg({ type: '?', kind: 'undecodable', correlationId: '', reason: 'not Avro for tracking-commands: truncated' }));
    const feed = store.feed(20);
    const { lastFrame } = plain(
      <FeedPanel rows={feed.rows} width={100} height={12} focused={false} selected={0} paused={false} newSincePause={0} total={feed.total} filter="" />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toContain('Live feed');
    expect(lines[0]).toContain('8 seen');
    expect(lines[1]).toMatch(/\?\?\? \?\s+-\s+not Avro for tracking-commands/);
    expect(lines[2]).toMatch(/DLQ tracking\.create_event\.command\.v1\s+01234567 redelivered 3 times/);
    expect(lines[3]).toMatch(/REJ command\.rejected\.v1\s+01234567 INVALID_AMOUNT/);
    expect(lines[4]).toMatch(/CMD payment\.process\.command\.v1/);
    expect(lines[7]).toMatch(/EVT tracking_event\.created\.v1/);
    expect(lines[8]).toMatch(/CMD tracking\.create_event\.command\.v1\s+01234567 type=conversion/);
    expect(lastFrame()).not.toContain('0123456789');
  });

  it('says when it is paused and how many arrived since', () => {
    const { lastFrame } = plain(<FeedPanel rows={[]} width={100} height={4} focused={false} selected={0} paused newSincePause={42} total={50} filter="" />);
    expect(lastFrame()).toContain('PAUSED · 42 new · p to resume');
  });

  it('says when the filter hides everything', () => {
    const { lastFrame } = plain(
      <FeedPanel rows={[]} width={100} height={4} focused={false} selected={0} paused={false} newSincePause={0} total={3} filter="zzz" />,
    );
    expect(lastFrame()).toContain('no message matches "zzz"');
  });
});

describe('WorkflowsPanel', () => {
  it('shows each workflow with the stage it reached, duration and failures', () => {
    const { store } = storeAt();
    for (const m of trackingWorkflow('done0001', 1_700_000_000_000)) store.message(m);
    for (const m of trackingWorkflow('fail0002', 1_700_000_000_100, { rejectPayment: true })) store.message(m);
    for (const m of trackingWorkflow('busy0003', 1_700_000_000_200, { stopAfter: 3 })) store.message(m);
    const rows = store.workflows(10);
    const { lastFrame } = plain(<WorkflowsPanel rows={rows} width={100} height={8} focused selected={1} total={store.workflowCount} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toContain('1 in flight · 1 failed · 3 tracked');
    expect(lines[1]).toContain('camp → track → comm → pay');
    expect(lines[2]).toMatch(/^ busy0003 +in flight +· camp → ✓ track → … comm → · pay/);
    expect(lines[3]).toMatch(/^›fail0002 +FAILED +· camp → ✓ track → ✓ comm → ✗ pay +12ms +6/);
    expect(lines[4]).toMatch(/^ done0001 +done +· camp → ✓ track → ✓ comm → ✓ pay +14ms +6/);
  });

  it('uses full stage names and shows the failure reason when wide', () => {
    const { store } = storeAt();
    for (const m of trackingWorkflow('fail0002', 1_700_000_000_100, { rejectPayment: true })) store.message(m);
    // ink-testing-library's terminal is 100 columns; the panel itself is what we measure.
    const { lastFrame } = plain(<WorkflowsPanel rows={store.workflows(5)} width={100} height={5} focused={false} selected={0} total={1} />);
    expect(lastFrame()).toContain('✗ pay');
    const { lastFrame: wide } = render(
      <ThemeContext.Provider value={makeTheme(false)}>
        <WorkflowsPanel rows={store.workflows(5)} width={99} height={5} focused={false} selected={0} total={1} />
      </ThemeContext.Provider>,
    );
    expect(wide()).toContain('payment: INVALID_AMOUNT');
  });

  it('scrolls to keep the selection visible', () => {
    const { store } = storeAt();
    for (let i = 0; i < 20; i++) for (const m of trackingWorkflow(`wf${String(i).padStart(6, '0')}`, 1_700_000_000_000 + i * 100)) store.message(m);
    const { lastFrame } = plain(<WorkflowsPanel rows={store.workflows(20)} width={100} height={6} focused selected={15} total={20} />);
    const lines = lastFrame()!.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^›wf000004/);
  });
});

describe('TraceView', () => {
  it('draws the workflow status and the causal tree miso trace draws', () => {
    const { store } = storeAt();
    for (const m of trackingWorkflow('trace001', 1_700_000_000_000, { rejectPayment: true })) store.message(m);
    const lines = traceLines(store.workflowMessages('trace001'), false);
    const { lastFrame } = plain(<TraceView workflow={store.workflow('trace001')} correlationId="trace001" lines={lines} width={100} height={14} scroll={0} />);
    const f = lastFrame()!.split('\n');
    expect(f[0]).toContain('Workflow trace001');
    expect(f[1]).toMatch(/^FAILED · campaign → ✓ tracking → ✓ commission → ✗ payment  12ms · 6 messages  payment: INVALID_AMOU/);
    expect(f[2]).toMatch(/^workflow trace001 · 6 messages · total 12 ms · slowest hop/);
    expect(f[3]).toMatch(/^tracking\.create_event\.command\.v1 tracking-commands /);
    expect(f[4]).toMatch(/^└─ tracking_event\.created\.v1 tracking-events [\d:.]+ \+4 ms/);
    expect(f[5]).toMatch(/^   └─ commission\.calculate\.command\.v1/);
    expect(f[8]).toMatch(/^            └─ command\.rejected\.v1 payment-events [\d:.]+ \+2 ms/);
  });

  it('scrolls a tree taller than the screen', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const { lastFrame } = plain(<TraceView workflow={undefined} correlationId="x" lines={lines} width={100} height={8} scroll={10} />);
    const f = lastFrame()!;
    expect(f).toContain('line 10');
    expect(f).toContain('line 14');
    expect(f).not.toContain('line 9\n');
    expect(f).not.toContain('line 15');
    expect(f).toContain('lines 11-15 of 30');
  });

  it('says when the workflow is no longer in memory', () => {
    const { lastFrame } = plain(<TraceView workflow={undefined} correlationId="gone" lines={[]} width={100} height={5} scroll={0} />);
    expect(lastFrame()).toContain('miso trace gone');
  });
});

describe('ErrorBoundary', () => {
  it('keeps the rest of the screen when one panel throws', () => {
    function Broken(): ReactElement {
      throw new Error('boom in panel');
    }
    const { lastFrame } = plain(
      <>
        <ErrorBoundary name="workflows panel">
          <Broken />
        </ErrorBoundary>
        <Text>feed still here</Text>
      </>,
    );
    expect(lastFrame()).toContain('workflows panel could not be drawn: boom in panel');
    expect(lastFrame()).toContain('feed still here');
  });
});
