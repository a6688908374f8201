import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Box, Text, useInput, useWindowSize } from 'ink';
import type { ObservedMessage } from '../../core/monitor.js';
import type { DashboardStore } from './store.js';
import { parseFilter } from './filter.js';
import { ThemeContext, makeTheme, useTheme } from './theme.js';
import { Header } from './components/Header.js';
import { TopicsPanel } from './components/TopicsPanel.js';
import { FeedPanel } from './components/FeedPanel.js';
import { WorkflowsPanel } from './components/WorkflowsPanel.js';
import { DeadLettersPanel } from './components/DeadLettersPanel.js';
import { TraceView } from './components/TraceView.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { TooSmall, MIN_COLUMNS, MIN_ROWS } from './components/TooSmall.js';
import { ErrorBoundary } from './components/ErrorBoundary.js';
import { clockTime, fit } from './format.js';
import { traceLines } from './trace-lines.js';
import { INITIAL_UI, reduceInput, selectedIndex, type KeyContext, type UiState } from './keys.js';

/** Turns a workflow's messages into the lines of its causal tree (see `trace-lines.ts`). */
export type TraceLayout = (messages: ObservedMessage[], color: boolean) => string[];

export interface DashboardAppProps {
  store: DashboardStore;
  /** Called once when the user quits (q, Ctrl+C). */
  onQuit: () => void;
  /** Default: the causal tree `miso trace` draws. */
  traceLayout?: TraceLayout;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  color?: boolean;
  /** Minimum time between frames driven by store changes (ms). */
  frameIntervalMs?: number;
  /** How often the clock, rates and durations refresh without new data (ms). */
  tickMs?: number;
}

/**
 * Re-render when the store changes, at most once per `intervalMs`, so a flood of messages
 * costs one frame per interval rather than one per message; and once per `tickMs` anyway so
 * clocks, rates and durations move while nothing arrives.
 */
function useStoreFrames(store: DashboardStore, intervalMs: number, tickMs: number): number {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let last = 0;
    let seen = store.version;
    const draw = (): void => {
      timer = undefined;
      last = Date.now();
      seen = store.version;
      setFrame((f) => f + 1);
    };
    const unsubscribe = store.subscribe(() => {
      if (timer !== undefined || store.version === seen) return;
      timer = setTimeout(draw, Math.max(0, last + intervalMs - Date.now()));
    });
    const tick = setInterval(() => {
      if (timer === undefined) draw();
    }, tickMs);
    return () => {
      unsubscribe();
      clearInterval(tick);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, intervalMs, tickMs]);
  return frame;
}

/** The terminal's size, following resizes; a fixed size in tests. */
function useTerminalSize(fixed: { columns: number; rows: number } | undefined): { columns: number; rows: number } {
  const win = useWindowSize();
  return fixed ?? { columns: win.columns || 80, rows: win.rows || 24 };
}

export function DashboardApp(props: DashboardAppProps) {
  const theme = useMemo(() => makeTheme(props.color ?? true), [props.color]);
  // If drawing fails outside any panel, the outer boundary shows the error and retries every
  // second; meanwhile q and Ctrl+C still quit.
  const [crash, setCrash] = useState<{ failed: boolean; attempt: number }>({ failed: false, attempt: 0 });
  useEffect(() => {
    if (!crash.failed) return;
    const retry = setTimeout(() => setCrash((c) => ({ failed: false, attempt: c.attempt + 1 })), 1000);
    return () => clearTimeout(retry);
  }, [crash]);
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) props.onQuit();
    },
    { isActive: crash.failed },
  );
  return (
    <ThemeContext.Provider value={theme}>
      <ErrorBoundary name="the dashboard" resetKey={crash.attempt} onError={() => setCrash((c) => ({ ...c, failed: true }))}>
        <Dashboard {...props} />
      </ErrorBoundary>
    </ThemeContext.Provider>
  );
}

function Dashboard({ store, onQuit, traceLayout = traceLines, color = true, size: fixedSize, frameIntervalMs = 100, tickMs = 1000 }: DashboardAppProps) {
  const t = useTheme();
  const frame = useStoreFrames(store, frameIntervalMs, tickMs);
  const { columns, rows } = useTerminalSize(fixedSize);
  // Screen state lives in a ref that keys update at once (see keys.ts); bump() redraws.
  const ui = useRef<UiState>(INITIAL_UI);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const { focus, view, filterText, editingFilter, pausedAt, feedIndex: feedSel, openId, traceScroll } = ui.current;
  const quitting = useRef(false);

  const filter = useMemo(() => parseFilter(filterText), [filterText]);
  const width = Math.max(1, columns);
  // One line short of the terminal: a frame as tall as the screen makes Ink clear it every time.
  const height = Math.max(1, rows - 1);
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;

  // Layout: header (2-3 lines), topics, workflows, feed, key line.
  const conn = store.connectionView();
  const headerH = conn.broker === 'connected' && conn.admin !== 'unreachable' ? 2 : 3;
  const topicRows = store.topicRows();
  const topicLines = topicRows.reduce((a, r) => a + Math.max(1, r.subscriptions.length), 0) + 2;
  const body = Math.max(0, height - headerH - 1);
  const topicsH = Math.min(topicLines, Math.max(4, Math.floor(body * 0.4)));
  const rest = Math.max(0, body - topicsH);
  const workflowsH = Math.max(3, Math.floor(rest * 0.45));
  // The dead-letter panel appears with the first dead letter, taking its lines from the feed.
  const dlqGroups = store.deadLetterGroups(4);
  const dlqH = dlqGroups.length ? Math.min(dlqGroups.length + 1, Math.max(0, rest - workflowsH - 3)) : 0;
  const feedH = Math.max(2, rest - workflowsH - dlqH);

  const workflows = store.workflows(Math.max(workflowsH * 4, 50), filter);
  const feed = store.feed(Math.max(1, feedH - 1), filter, pausedAt);

  // Keep the workflow selection on the same workflow while rows move.
  const wfIndex = selectedIndex(ui.current.workflow, workflows);

  const quit = (): void => {
    if (quitting.current) return;
    quitting.current = true;
    onQuit();
  };

  // What the user sees is what keys act on, even before the next frame.
  const seen = useRef<KeyContext>({ workflows, feed: feed.rows, feedTotal: feed.total });
  seen.current = { workflows, feed: feed.rows, feedTotal: feed.total };

  useInput((input, key) => {
    const next = reduceInput(ui.current, input, key, seen.current);
    if (next === 'quit') return quit();
    if (next !== ui.current) {
      ui.current = next;
      bump();
    }
  });

  if (tooSmall) return <TooSmall columns={columns} rows={rows} />;

  const header = (
    <ErrorBoundary name="header" resetKey={frame}>
      <Header
        info={store.info}
        connection={conn}
        services={store.services()}
        width={width}
        paused={pausedAt !== undefined}
        filter={filterText}
        clock={clockTime(store.now()).slice(0, 8)}
      />
    </ErrorBoundary>
  );

  const keyLine = editingFilter ? (
    <Text color={t.accent}>
      {fit(`/${filterText}█   Enter apply · Esc clear  (words match type, correlation id, text; type:… cid:… topic:… kind:…)`, width)}
    </Text>
  ) : (
    <Text dimColor={t.dim}>
      {fit(
        view === 'trace' ? 'Esc back · j/k scroll · ? help · q quit' : '↑↓/jk move · Tab panel · Enter open trace · / filter · p pause feed · ? help · q quit',
        width,
      )}
    </Text>
  );

  let main;
  if (view === 'help') main = <HelpOverlay width={width} height={body} />;
  else if (view === 'trace' && openId) {
    const messages = store.workflowMessages(openId);
    const lines = messages.length > 0 ? traceLayout(messages, color) : [];
    main = (
      <ErrorBoundary name="trace" resetKey={frame}>
        <TraceView workflow={store.workflow(openId)} correlationId={openId} lines={lines} width={width} height={body} scroll={traceScroll} />
      </ErrorBoundary>
    );
  } else {
    main = (
      <Box flexDirection="column">
        <ErrorBoundary name="topics panel" resetKey={frame}>
          <TopicsPanel rows={topicRows} width={width} height={topicsH} focused={focus === 'topics'} />
        </ErrorBoundary>
        <ErrorBoundary name="workflows panel" resetKey={frame}>
          <WorkflowsPanel rows={workflows} width={width} height={workflowsH} focused={focus === 'workflows'} selected={wfIndex} total={store.workflowCount} />
        </ErrorBoundary>
        {dlqH > 1 ? (
          <ErrorBoundary name="dead letters panel" resetKey={frame}>
            <DeadLettersPanel groups={dlqGroups} total={store.deadLetterCount} width={width} height={dlqH} />
          </ErrorBoundary>
        ) : null}
        <ErrorBoundary name="live feed" resetKey={frame}>
          <FeedPanel
            rows={feed.rows}
            width={width}
            height={feedH}
            focused={focus === 'feed'}
            selected={feedSel}
            paused={pausedAt !== undefined}
            newSincePause={feed.newSincePause}
            total={feed.total}
            filter={filterText}
          />
        </ErrorBoundary>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height}>
      {header}
      <Box height={body} flexDirection="column">
        {main}
      </Box>
      {keyLine}
    </Box>
  );
}
