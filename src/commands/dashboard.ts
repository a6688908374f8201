import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { UsageError } from '../errors.js';
import { createMonitor } from '../core/monitor.js';
import { parseDuration } from '../core/read/duration.js';
import { relaunchLean, requireTerminal, runDashboard } from '../ui/dashboard/run.js';

export default class Dashboard extends ConnectedCommand {
  static override summary = 'live full-screen view of topics, workflows and messages';
  static override description = `Reads every command, event and dead-letter topic with non-durable readers (it never takes a message from a service) and polls topic statistics from the admin API.

Panels: topics (messages/s with a one-minute sparkline, backlog per service subscription and its trend, consumers connected), workflows (the stage each reached: campaign → tracking → commission → payment, duration, failures), and a live feed of decoded messages. Enter on a workflow opens its causal trace, the same tree as \`miso trace\`.

Keys: ↑↓ or j/k move, Tab switches panel, Enter opens, Esc goes back, / filters, p pauses the feed, ? shows help, q quits.

Needs an interactive terminal (80×24 or larger); for plain lines use \`miso tail\`.`;

  static override examples = [
    '<%= config.bin %> dashboard',
    '<%= config.bin %> dashboard --since 10m',
    '<%= config.bin %> dashboard --profile staging --stats-interval 5',
  ];

  static override flags = {
    since: Flags.string({ description: 'start with the messages of this last period, e.g. 30s, 10m, 2h (default: only new messages)' }),
    'stats-interval': Flags.integer({ description: 'seconds between topic statistics polls', default: 2, min: 1, max: 300 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dashboard);
    if (flags.json) throw new UsageError('miso dashboard has no JSON output', { hint: 'Use `miso tail --json` for messages as NDJSON.' });
    const since = flags.since !== undefined ? parseDuration(flags.since) : undefined;
    requireTerminal();
    const cfg = this.settingsFrom(flags);
    const code = await relaunchLean();
    if (code !== undefined) return this.exit(code);
    const monitor = createMonitor(cfg, {
      statsIntervalMs: flags['stats-interval'] * 1000,
      ...(since !== undefined ? { start: { publishTime: Date.now() - since } } : {}),
    });
    await runDashboard(monitor, { color: this.out.color.level > 0 });
  }
}
