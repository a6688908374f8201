import { render } from 'ink';
import { UsageError } from '../../errors.js';
import type { DashboardSource } from '../../core/monitor.js';
import { DashboardStore, type StoreLimits } from './store.js';
import { DashboardApp } from './App.js';

export interface RunDashboardOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  color: boolean;
  limits?: Partial<StoreLimits>;
  /** Frames per second at most (default 10). */
  maxFps?: number;
}

const ALT_SCREEN_ON = '\u001B[?1049h\u001B[H';
const ALT_SCREEN_OFF = '\u001B[?1049l';
const CURSOR_SHOW = '\u001B[?25h';

/** The dashboard needs a terminal both ways: keys in, a screen out. Fails before any connection. */
export function requireTerminal(stdout: NodeJS.WriteStream = process.stdout, stdin: NodeJS.ReadStream = process.stdin): void {
  if (!stdout.isTTY) {
    throw new UsageError('miso dashboard needs an interactive terminal, but stdout is not a TTY', {
      hint: 'Use `miso tail` for plain lines (or `miso tail --json` for machines).',
    });
  }
  if (!stdin.isTTY) {
    throw new UsageError('miso dashboard needs keyboard input, but stdin is not a TTY', {
      hint: 'Run it from a terminal, or use `miso tail` for plain lines.',
    });
  }
}

/**
 * Run the dashboard full screen until the user quits or the process is asked to stop
 * (SIGINT, SIGTERM, SIGHUP). The screen appears at once (connecting…) and the source fills
 * it as readers come up. On the way out the readers are closed and the terminal restored,
 * whatever happened.
 */
export async function runDashboard(source: DashboardSource, opts: RunDashboardOptions): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  requireTerminal(stdout, stdin);

  const store = new DashboardStore(source.info, source.topics, { ...(opts.limits ? { limits: opts.limits } : {}) });
  let finish!: () => void;
  const quit = new Promise<void>((resolve) => (finish = resolve));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (): void => finish();
  for (const s of signals) process.on(s, onSignal);

  stdout.write(ALT_SCREEN_ON);
  const ink = render(<DashboardApp store={store} onQuit={() => finish()} color={opts.color} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    maxFps: opts.maxFps ?? 10,
    incrementalRendering: true,
    // Stray console output from a library would tear the full-screen frame; Ink keeps it above.
    patchConsole: true,
  });
  try {
    await source.start(store);
    await quit;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    ink.unmount();
    await source.close().catch(() => undefined);
    stdout.write(ALT_SCREEN_OFF + CURSOR_SHOW);
  }
}
