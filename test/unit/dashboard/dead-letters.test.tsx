import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { DashboardApp } from '../../../src/ui/dashboard/App.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { waitUntil } from '../../support/env.js';
import { INFO, TOPICS, msg, trackingWorkflow } from './fixtures.js';

const dead = (cid: string, reason: string, at: number) =>
  msg({
    type: 'payment.process.command.v1',
    correlationId: cid,
    kind: 'dead-letter',
    role: 'dead-letter',
    service: 'payment',
    topic: 'payment-commands-payment-service-DLQ',
    reason: `dead-lettered from payment-commands: ${reason}`,
    publishTime: at,
  });

describe('dashboard dead-letter groups', () => {
  it('groups what it sees by service, type and the error without its particulars', () => {
    const store = new DashboardStore(INFO, TOPICS);
    store.message(dead('wf-a', 'failed 4 times; last error: payout 5f1c2a3e-0b1c-4d2e-8f90-123456789abc refused', 1000));
    store.message(dead('wf-b', 'failed 4 times; last error: payout 9a9c2a3e-0b1c-4d2e-8f90-123456789abc refused', 3000));
    store.message(dead('wf-c', 'failed 4 times; last error: payout provider unavailable (simulated)', 2000));
    for (const m of trackingWorkflow('wf-ok', 5000)) store.message(m);
    const groups = store.deadLetterGroups(10);
    expect(store.deadLetterCount).toBe(3);
    expect(groups).toEqual([
      expect.objectContaining({
        count: 2,
        service: 'payment',
        error: 'failed <n> times; last error: payout <id> refused',
        firstSeen: 1000,
        lastSeen: 3000,
        exampleCorrelationId: 'wf-b',
      }),
      expect.objectContaining({ count: 1, error: 'failed <n> times; last error: payout provider unavailable (simulated)' }),
    ]);
  });

  it('shows the panel once a dead letter arrives, not before', async () => {
    const store = new DashboardStore(INFO, TOPICS);
    store.connection({ broker: 'connected', admin: 'ok' });
    for (const m of trackingWorkflow('wf000001', 1_700_000_000_000)) store.message(m);
    const ui = render(<DashboardApp store={store} onQuit={vi.fn()} size={{ columns: 140, rows: 40 }} color={false} frameIntervalMs={0} />);
    try {
      await waitUntil(() => (ui.lastFrame() ?? '').includes('Live feed'), { what: 'first frame', timeoutMs: 5000, intervalMs: 10 });
      expect(ui.lastFrame()).not.toContain('Dead letters');
      store.message(dead('wf-dead01', 'failed 4 times; last error: payout 5f1c2a3e-0b1c-4d2e-8f90-123456789abc refused', 1_700_000_001_000));
      store.message(dead('wf-dead02', 'failed 4 times; last error: payout 9a9c2a3e-0b1c-4d2e-8f90-123456789abc refused', 1_700_000_002_000));
      await waitUntil(() => (ui.lastFrame() ?? '').includes('Dead letters'), { what: 'the dead-letter panel', timeoutMs: 5000, intervalMs: 10 });
      const frame = ui.lastFrame()!;
      expect(frame).toContain('2 in 1 group · miso dlq groups / replay --group');
      expect(frame).toMatch(/ {3}2× payment {4}payment\.process\.command\.v1 .* wf wf-dead0 failed <n> times; last error: payout <id> refused/);
    } finally {
      ui.unmount();
    }
  });
});
