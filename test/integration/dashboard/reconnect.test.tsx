import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { resolveConfig } from '../../../src/config/index.js';
import { initCluster } from '../../../src/core/init.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { createMonitor, type PulsarMonitor } from '../../../src/core/monitor.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { DashboardApp } from '../../../src/ui/dashboard/App.js';
import { uniqueName, waitUntil } from '../../support/env.js';
import { startStandalone, type Standalone } from '../../support/broker.js';
import { requirePulsar } from '../../support/peers.js';
import { trackingChain } from './workflow.js';

// Stopping a broker needs a broker of our own: the shared development broker is never touched.
describe.skipIf(!requirePulsar())('dashboard while its broker goes away and comes back (own standalone)', () => {
  let broker: Standalone;
  let monitor: PulsarMonitor;
  let store: DashboardStore;
  let ui: ReturnType<typeof render>;

  beforeAll(async () => {
    broker = await startStandalone();
  }, 180_000);

  afterAll(async () => {
    ui?.unmount();
    await monitor?.close();
    await broker?.destroy();
  });

  it('shows the disconnection, recovers by itself, and shows new messages without repeating old ones', async () => {
    const cfg = resolveConfig({ serviceUrl: broker.serviceUrl, adminUrl: broker.adminUrl, tenant: uniqueName('dashre'), namespace: 'ns' });
    const report = await initCluster(cfg, { admin: new AdminClient(cfg) });
    expect(report.ok).toBe(true);

    monitor = createMonitor(cfg, { statsIntervalMs: 500 });
    store = new DashboardStore(monitor.info, monitor.topics);
    ui = render(<DashboardApp store={store} onQuit={() => {}} size={{ columns: 100, rows: 40 }} color={false} frameIntervalMs={50} tickMs={200} />);
    await monitor.start(store);
    const frame = () => ui.lastFrame() ?? '';
    await waitUntil(() => frame().includes('● connected') && frame().includes('admin ● ok'), { what: 'connected on screen', timeoutMs: 30_000 });

    const admin = new AdminClient(cfg);
    const readersUp = async () => {
      for (const t of monitor.topics) {
        const subs = Object.keys((await admin.topicStats(t.name)).subscriptions);
        if (!subs.some((n) => n.startsWith('miso-reader-'))) return false;
      }
      return true;
    };
    await waitUntil(readersUp, { what: 'readers subscribed', timeoutMs: 30_000 });

    // A workflow before the outage.
    let client = new PulsarClient({ serviceUrl: cfg.serviceUrl });
    let publisher = new Publisher(client, cfg);
    const before = trackingChain();
    for (const s of before) await publisher.publish(s.env, { topic: s.topic });
    await waitUntil(() => store.workflow(before[0]!.env.correlation_id)?.status === 'done', { what: 'first workflow done' });
    await publisher.close();
    await client.close();

    // The broker goes away: the header says so, with how long.
    await broker.stop();
    await waitUntil(() => /○ (reconnecting|disconnected)/.test(frame()) && frame().includes('admin ○ unreachable'), {
      what: 'disconnection on screen',
      timeoutMs: 30_000,
    });
    expect(frame()).toMatch(/⚠ broker (reconnecting|disconnected) for [\d.]+m?s/);
    expect(frame()).toContain('retrying by itself');
    // The rest of the screen stays: the workflow seen before the outage is still listed.
    expect(frame()).toContain(before[0]!.env.correlation_id.slice(0, 8));

    // It comes back: no action needed on the dashboard's side.
    await broker.start();
    await waitUntil(() => frame().includes('● connected') && frame().includes('admin ● ok') && !frame().includes('⚠'), {
      what: 'recovered on screen',
      timeoutMs: 90_000,
    });
    await waitUntil(readersUp, { what: 'readers subscribed again', timeoutMs: 60_000 });

    client = new PulsarClient({ serviceUrl: cfg.serviceUrl });
    publisher = new Publisher(client, cfg);
    const after = trackingChain();
    for (const s of after) await publisher.publish(s.env, { topic: s.topic });
    await waitUntil(() => store.workflow(after[0]!.env.correlation_id)?.status === 'done', {
      what: 'workflow after the restart on the dashboard',
      timeoutMs: 30_000,
    });
    await waitUntil(() => frame().includes(after[0]!.env.correlation_id.slice(0, 8)), { what: 'new workflow on screen' });
    await publisher.close();
    await client.close();

    // Readers resumed after the last message shown: nothing from before the outage came twice.
    const ids = store.feed(1000).rows.map((m) => m.id);
    expect(ids.filter((id) => before.some((s) => s.env.id === id))).toHaveLength(6);
    expect(new Set(ids).size).toBe(ids.length);
    expect(store.workflow(before[0]!.env.correlation_id)!.messages).toBe(6);
  }, 300_000);
});
