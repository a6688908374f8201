import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { DashboardApp } from '../../../src/ui/dashboard/App.js';
import { DashboardStore } from '../../../src/ui/dashboard/store.js';
import { INFO, TOPICS, msg, trackingWorkflow } from './fixtures.js';
import { sleep } from '../../../src/util/wait.js';
import { waitUntil } from '../../support/env.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t', backspace: '\u007F' };

/** Let Ink draw (a frame interval); for checks that something did NOT change. Conditions use waitUntil. */
function settle(ms = 30): Promise<void> {
  return sleep(ms);
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
  const frame = () => ui.lastFrame() ?? '';
  /** Wait for the screen to show something (frames follow keys and data asynchronously). */
  const until = async (check: (f: string) => boolean, what: string) => {
    try {
      await waitUntil(() => check(frame()), { what, timeoutMs: 5000, intervalMs: 10 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${frame()}`, { cause: err });
    }
  };
  return { store, onQuit, ui, press, frame, until };
}

/** The line of the workflows panel that carries the selection mark. */
function selectedWorkflow(frame: string): string | undefined {
  return frame
    .split('\n')
    .find((l) => l.startsWith('›'))
    ?.slice(1, 9);
}

describe('DashboardApp keys', () => {
  it('draws every panel in one screen', async () => {
    const { frame, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
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
    const { press, frame, store, ui, until } = setup();
    const selected = (id: string) => until((f) => selectedWorkflow(f) === id, `selection on ${id}`);
    await selected('wf000002');
    await press('j');
    await selected('wf000001');
    await press(KEY.down);
    await selected('wf000000');
    await press(KEY.down); // already at the bottom
    await settle(50);
    expect(selectedWorkflow(frame())).toBe('wf000000');
    await press('k');
    await selected('wf000001');
    // A new workflow arrives on top: the selection stays on wf000001.
    for (const m of trackingWorkflow('wfnew001', 1_700_000_100_000)) store.message(m);
    await until((f) => f.includes('wfnew001'), 'the new workflow');
    expect(selectedWorkflow(frame())).toBe('wf000001');
    await press(KEY.up, KEY.up);
    await selected('wfnew001');
    ui.unmount();
  });

  it('opens the selected workflow with Enter and goes back with Esc', async () => {
    const { press, frame, ui, until } = setup();
    await until((f) => selectedWorkflow(f) === 'wf000002', 'first frame');
    await press('j');
    await until((f) => selectedWorkflow(f) === 'wf000001', 'selection moved');
    await press(KEY.enter);
    await until((f) => f.includes('Workflow wf000001'), 'the trace view');
    // The causal tree, as `miso trace` draws it: each reply indented under its cause.
    expect(frame()).toMatch(/\n *tracking\.create_event\.command\.v1 tracking-commands/);
    expect(frame()).toMatch(/\n +└─ payment\.processed\.v1 payment-events [\d:.]+ \+4 ms/);
    expect(frame()).not.toContain(' Live feed ');
    await press(KEY.esc);
    await until((f) => f.includes(' Live feed ') && !f.includes('Workflow wf000001'), 'back to the panels');
    ui.unmount();
  });

  it('filters with / (typing, Backspace, Enter) and clears with Esc', async () => {
    const { press, frame, ui, until } = setup();
    await until((f) => f.includes('wf000002'), 'first frame');
    await press('/');
    await until((f) => f.includes('/█'), 'the filter prompt');
    for (const c of 'cid:wf000001x') await press(c);
    await press(KEY.backspace);
    await until((f) => f.includes('/cid:wf000001█'), 'the typed filter');
    await press(KEY.enter);
    await until((f) => f.includes('filter: cid:wf000001'), 'the filter applied');
    const f = frame();
    expect(f).toContain('filter: cid:wf000001');
    expect(f).toContain('wf000001');
    expect(f).not.toContain('wf000002');
    expect(f).not.toContain('wf000000');
    expect(f).toContain('filtered');
    await press(KEY.esc);
    await until((f) => f.includes('wf000002') && !f.includes('filter:'), 'the filter cleared');
    ui.unmount();
  });

  it('pauses the feed with p and resumes with p', async () => {
    const { press, frame, store, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    await press('p');
    await until((f) => f.includes('PAUSED · 0 new'), 'paused');
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'late0001', payload: { name: 'Late' } }));
    await until((f) => f.includes('PAUSED · 1 new'), 'the new message counted');
    expect(frame()).not.toContain('name=Late');
    await press('p');
    await until((f) => f.includes('name=Late') && !f.includes('PAUSED'), 'resumed');
    ui.unmount();
  });

  it('switches panel with Tab and opens a workflow from the live feed', async () => {
    const { press, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    await press(KEY.tab);
    // The focused feed shows its selection as an inverse line; move 6 down: 6 messages per
    // workflow, newest first, so the 7th line belongs to wf000001.
    for (let i = 0; i < 6; i++) await press('j');
    await press(KEY.enter);
    await until((f) => f.includes('Workflow wf000001'), 'the trace of the selected feed line');
    ui.unmount();
  });

  it('shows help with ? and closes it with any key', async () => {
    const { press, frame, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    await press('?');
    await until((f) => f.includes(' Keys '), 'the help');
    expect(frame()).toContain('pause / resume the live feed');
    await press('x');
    await until((f) => !f.includes(' Keys ') && f.includes(' Live feed '), 'the help closed');
    ui.unmount();
  });

  it('quits with q and with Ctrl+C, once', async () => {
    const { press, onQuit, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    await press('q');
    await waitUntil(() => onQuit.mock.calls.length > 0, { what: 'quit' });
    await press('\u0003');
    await settle(50);
    expect(onQuit).toHaveBeenCalledTimes(1);
    ui.unmount();
  });

  it('does not quit while typing a filter containing q', async () => {
    const { press, onQuit, ui, until } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    await press('/');
    await until((f) => f.includes('/█'), 'the filter prompt');
    await press('q');
    await until((f) => f.includes('/q█'), 'q typed into the filter');
    expect(onQuit).not.toHaveBeenCalled();
    ui.unmount();
  });

  it('says when the terminal is too small', async () => {
    const { frame, ui, onQuit, press, until } = setup({ columns: 60, rows: 15 });
    await until((f) => f.includes('Terminal too small (60×15)'), 'the too-small message');
    expect(frame().replace(/\s+/g, ' ')).toContain('or use `miso tail` for plain lines');
    await press('q');
    await waitUntil(() => onQuit.mock.calls.length > 0, { what: 'quit' });
    ui.unmount();
  });

  it('throttles frames: a flood of messages does not render once per message', async () => {
    const store = new DashboardStore(INFO, TOPICS);
    const ui = render(<DashboardApp store={store} onQuit={() => {}} size={{ columns: 100, rows: 40 }} color={false} frameIntervalMs={100} />);
    await settle();
    const before = ui.frames.length;
    const start = Date.now();
    // At least 300 ms and 2,000 messages, however slow the machine: the bound on frames
    // follows the time it really took, so a loaded machine neither fails nor hides a flood.
    while (Date.now() - start < 300 || store.feed(0).total < 2000) {
      for (let i = 0; i < 200; i++) store.message(msg({ type: 'campaign.created.v1', correlationId: `f${i}` }));
      await new Promise((r) => setImmediate(r));
    }
    const elapsed = Date.now() - start;
    await settle(150);
    const frames = ui.frames.length - before;
    // At most one frame per 100 ms of flood (plus the settle and rounding): far fewer than messages.
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThanOrEqual(Math.ceil((elapsed + 150) / 100) + 2);
    expect(frames).toBeLessThan(store.feed(0).total / 100);
    ui.unmount();
  });

  it('survives a failure outside the panels: shows it, still quits on q, and recovers', async () => {
    const { store, until, press, onQuit, ui } = setup();
    await until((f) => f.includes(' Live feed '), 'first frame');
    const real = store.topicRows.bind(store);
    let failing = true;
    store.topicRows = () => {
      if (failing) throw new Error('stats went odd');
      return real();
    };
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'trigger1' }));
    await until((f) => f.includes('the dashboard could not be drawn: stats went odd'), 'the error shown');
    failing = false;
    await until((f) => f.includes(' Live feed ') && f.includes('trigger1'), 'recovered by itself');
    failing = true;
    store.message(msg({ type: 'campaign.created.v1', correlationId: 'trigger2' }));
    await until((f) => f.includes('could not be drawn'), 'the error again');
    await press('q');
    await waitUntil(() => onQuit.mock.calls.length > 0, { what: 'quit while broken' });
    ui.unmount();
  });
});
