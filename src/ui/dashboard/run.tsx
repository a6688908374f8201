import { spawn } from 'node:child_process';
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
  /** Ink's frame limit (default 30; the app itself draws at most ~10 frames/s). */
  maxFps?: number;
}

/**
 * Node flags the dashboard runs with. Under a steady flood V8 grows the young generation to
 * its maximum (over 100 MB on a machine with plenty of memory) and lets the old generation
 * swell long before collecting it, although the dashboard keeps only tens of MB alive (its
 * buffers are bounded: worst case ~100 MB with every workflow at its message cap). A small
 * young generation and an old-generation cap keep the process under 200 MB RSS at the cost of
 * more, cheaper collections.
 */
export const DASHBOARD_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=192'] as const;

/**
 * Run this same command again under DASHBOARD_NODE_FLAGS (and React's production build),
 * unless this process already has them. Resolves with the child's exit code, or undefined
 * when this process is the one to draw the dashboard. The child shares the terminal; keys go
 * to it directly, and termination signals sent to this process are passed on.
 */
export async function relaunchLean(): Promise<number | undefined> {
  const flag = DASHBOARD_NODE_FLAGS[0].split('=')[0]!;
  if (process.execArgv.some((a) => a.startsWith(flag))) return undefined;
  const script = process.argv[1];
  if (!script) return undefined;
  const child = spawn(process.execPath, [...DASHBOARD_NODE_FLAGS, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const forward = (sig: NodeJS.Signals) => (): void => {
    child.kill(sig);
  };
  const handlers = (['SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  // Ctrl+C reaches the child through the terminal; this process just waits for it.
  const ignoreInt = (): void => {};
  process.on('SIGINT', ignoreInt);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGHUP' ? 1 : 2) : 1)));
    });
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('SIGINT', ignoreInt);
  }
}

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

  const ink = render(<DashboardApp store={store} onQuit={() => finish()} color={opts.color} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    // Frames are limited to ~10/s by the app itself (store changes); Ink's own limit only
    // has to stay out of the way.
    maxFps: opts.maxFps ?? 30,
    // The terminal was checked above: draw live even where CI variables are set.
    interactive: true,
    alternateScreen: true,
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
  }
}
