import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { DashboardApp } from '../../../src/ui/dashboard/App.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { INFO, TOPICS, msg, trackingWorkflow } from './fixtures.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t', backspace: '\u007F' };

async function settle(ms = 30): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

function setup(opts: { columns?: number; rows?: number; workflows?: number } = {}) {
  const store = new DashboardStore(INFO, TOPICS);
  store.connection({ broker: 'connected', admin: 'ok' });
  for (let i = 0; i < (opts.workflows ?? 3); i++) {
    for (const m of trackingWorkflow(`wf${String(i).padStart(6, '0')}`, 1_700_000_000_000 + i * 1000)) store.message(m);
  }
  const onQuit = vi.fn();
  const ui = render(
    <DashboardApp store={store} onQuit={onQuit} size={{ columns: opts.columns ?? 100, rows: opts.rows ?? 40 }} color={false} frameIntervalMs={0} />,
  );
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ui.stdin.write(k);
      await settle();
    }
  };
  return { store, onQuit, ui, press, frame: () => ui.lastFrame() ?? '' };
}

/** The line of the workflows panel that carries the selection mark. */
function selectedWorkflow(frame: string): string | undefined {
  return frame.split('\n').find((l) => l.startsWith('›'))?.slice(1, 9);
}

describe('DashboardApp keys', () => {
  it('draws every panel in one screen', async () => {
    const { frame, ui } = setup();
    await settle();
    const f = frame();
    expect(f).toContain('miso-1-2025/default');
    expect(f).toContain(' Topics ');
    expect(f).toContain(' Workflows ');
    expect(f).toContain(' Live feed ');
    expect(f).toContain('q quit');
    expect(f.split('\n').length).toBeLessThanOrEqual(39);
    ui.unmount();
  });

  it('moves the workflow selection with arrows and j/k, and keeps it on the same workflow as rows move', async () => {
    const { press, frame, store, ui } = setup();
    await settle();
    expect(selectedWorkflow(frame())).toBe('wf000002');
    await press('j');
    expect(selectedWorkflow(frame())).toBe('wf000001');
    await press(KEY.down);
    expect(selectedWorkflow(frame())).toBe('wf000000');
    await press(KEY.down); // already at the bottom
    expect(selectedWorkflow(frame())).toBe('wf000000');
    await press('k');
    expect(selectedWorkflow(frame())).toBe('wf000001');
    // A new workflow arrives on top: the selection stays on wf000001.
    for (const m of trackingWorkflow('wfnew001', 1_700_000_100_000)) store.message(m);
    await settle(50);
    expect(frame()).toContain('wfnew001');
    expect(selectedWorkflow(frame())).toBe('wf000001');
    await press(KEY.up, KEY.up);
    expect(selectedWorkflow(frame())).toBe('wfnew001');
    ui.unmount();
  });

  it('opens the selected workflow with Enter and goes back with Esc', async () => {
    const { press, frame, ui } = setup();
    await settle();
    await press('j', KEY.enter);
    expect(frame()).toContain('Workflow wf000001');
    // The causal tree, as `miso trace` draws it: each reply indented under its cause.
    expect(frame()).toMatch(/\n *tracking\.create_event\.command\.v1 tracking-commands/);
    expect(frame()).toMatch(/\n +└─ payment\.processed\.v1 payment-events [\d:.]+ \+4 ms/);
    expect(frame()).not.toContain(' Live feed ');
    await press(KEY.esc);
    await settle(50);
    expect(frame()).toContain(' Live feed ');
    expect(frame()).not.toContain('Workflow wf000001');
    ui.unmount();
  });

  it('filters with / (typing, Backspace, Enter) and clears with Esc', async () => {
    const { press, frame, ui } = setup();
    await settle();
    await press('/', 'c', 'i', 'd', ':', 'w', 'f', '0', '0', '0', '0', '0', '1', 'x', KEY.backspace);
    expect(frame()).toContain('/cid:wf000001█');
    await press(KEY.enter);
    const f = frame();
    expect(f).toContain('filter: cid:wf000001');
    expect(f).toContain('wf000001');
    expect(f).not.toContain('wf000002');
    expect(f).not.toContain('wf000000');
    expect(f).toContain('filtered');
    await press(KEY.esc);
    await settle(50);
    expect(frame()).toContain('wf000002');
    expect(frame()).not.toContain('filter:');
    ui.unmount();
  });

  it('pauses the feed with p and resumes with p', async () => {
    const { press, frame, store, ui } = setup();
    await settle();
    await press('p');
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'late0001', payload: { name: 'Late' } }));
    await settle(50);
    expect(frame()).toContain('PAUSED · 1 new');
    expect(frame()).not.toContain('name=Late');
    await press('p');
    expect(frame()).toContain('name=Late');
    expect(frame()).not.toContain('PAUSED');
    ui.unmount();
  });

  it('switches panel with Tab and opens a workflow from the live feed', async () => {
    const { press, frame, ui } = setup();
    await settle();
    await press(KEY.tab, 'j', 'j', 'j', 'j', 'j', 'j', KEY.enter);
    // The feed is newest first: 6 messages per workflow, so the 7th line belongs to wf000001.
    expect(frame()).toContain('Workflow wf000001');
    ui.unmount();
  });

  it('shows help with ? and closes it with any key', async () => {
    const { press, frame, ui } = setup();
    await settle();
    await press('?');
    expect(frame()).toContain(' Keys ');
    expect(frame()).toContain('pause / resume the live feed');
    await press('x');
    expect(frame()).not.toContain(' Keys ');
    ui.unmount();
  });

  it('quits with q and with Ctrl+C, once', async () => {
    const { press, onQuit, ui } = setup();
    await settle();
    await press('q');
    await press('\u0003');
    expect(onQuit).toHaveBeenCalledTimes(1);
    ui.unmount();
  });

  it('does not quit while typing a filter containing q', async () => {
    const { press, onQuit, frame, ui } = setup();
    await settle();
    await press('/', 'q');
    expect(onQuit).not.toHaveBeenCalled();
    expect(frame()).toContain('/q█');
    ui.unmount();
  });

  it('says when the terminal is too small', async () => {
    const { frame, ui, onQuit, press } = setup({ columns: 60, rows: 15 });
    await settle();
    expect(frame()).toContain('Terminal too small (60×15)');
    expect(frame().replace(/\s+/g, ' ')).toContain('or use `miso tail` for plain lines');
    await press('q');
    expect(onQuit).toHaveBeenCalled();
    ui.unmount();
  });

  it('throttles frames: a flood of messages does not render once per message', async () => {
    const store = new DashboardStore(INFO, TOPICS);
    const ui = render(<DashboardApp store={store} onQuit={() => {}} size={{ columns: 100, rows: 40 }} color={false} frameIntervalMs={100} />);
    await settle();
    const before = ui.frames.length;
    const start = Date.now();
    while (Date.now() - start < 300) {
      for (let i = 0; i < 200; i++) store.message(msg({ type: 'campaign.created.v1', correlationId: `f${i}` }));
      await new Promise((r) => setImmediate(r));
    }
    await settle(150);
    const frames = ui.frames.length - before;
    expect(store.feed(0).total).toBeGreaterThan(1000);
    // ~300 ms at ≤ 10 frames/s: a handful of frames, far fewer than messages.
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThanOrEqual(6);
    ui.unmount();
  });
});
