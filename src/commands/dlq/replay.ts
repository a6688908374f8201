import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { SERVICES, type ServiceName } from '../../config/index.js';
import { listDeadLetters, replayDeadLetters, ReplayFollower, selectForReplay, type FollowedReplay } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { MisoError, UsageError } from '../../errors.js';
import { outcomeLines, replayLines, replayProgress, snapshotLine } from '../../ui/render/dlq.js';

export default class DlqReplay extends ConnectedCommand {
  static override description = 'Send dead letters back to the topic they came from (same command id and correlation id; safe to repeat)';
  static override examples = [
    '<%= config.bin %> dlq replay 1234:5:-1:-1',
    '<%= config.bin %> dlq replay --group 3fa9c01b2e --rate 5 --wait',
    '<%= config.bin %> dlq replay --all --service payment --dry-run',
  ];
  static override args = {
    id: Args.string({ description: 'dead-letter message id or command id (unique prefix of 6+ characters)' }),
  };
  static override flags = {
    all: Flags.boolean({ description: 'replay every dead letter (of --service, newer than --since)' }),
    group: Flags.string({ description: 'replay one group of `miso dlq groups`' }),
    service: Flags.string({ description: 'only this service', options: [...SERVICES], multiple: true }),
    since: Flags.string({ description: 'only dead letters newer than this: 30m, 24h' }),
    again: Flags.boolean({ description: 'also replay dead letters that were replayed before' }),
    rate: Flags.string({ description: 'at most this many per second: 5 or 5/s' }),
    wait: Flags.boolean({ description: 'follow each replayed command to its outcome and print a table' }),
    timeout: Flags.string({ description: 'how long --wait waits for the outcomes', default: '30s' }),
    'dry-run': Flags.boolean({ description: 'say what would be replayed, send nothing' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DlqReplay);
    const ways = [args.id, flags.all, flags.group].filter(Boolean).length;
    if (ways === 0)
      throw new UsageError('say which dead letters to replay', { hint: 'Give an id (`miso dlq list`), --group <id> (`miso dlq groups`), or --all.' });
    if (ways > 1)
      throw new UsageError(args.id && flags.all && !flags.group ? 'give an id or --all, not both' : 'give one of an id, --group or --all', {
        hint: '`miso dlq replay <id>` replays one; `--group` one group; `--all` every one.',
      });
    const rate = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const cfg = this.settingsFrom(flags);
    const since = flags.since ? Date.now() - parseDuration(flags.since) : undefined;
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    let follower: ReplayFollower | undefined;
    try {
      const letters = await listDeadLetters(client, cfg, {
        ...(flags.service ? { services: flags.service as ServiceName[] } : {}),
        ...(since ? { since } : {}),
      });
      const sel = selectForReplay(letters, {
        ...(args.id ? { id: args.id } : {}),
        ...(flags.group ? { group: flags.group } : {}),
        all: flags.all,
        again: flags.again,
      });
      if (!this.out.json) this.out.info(snapshotLine(sel, this.out.color));
      follower = flags.wait && !flags['dry-run'] && sel.chosen.length ? await ReplayFollower.open(client, cfg) : undefined;
      const tty = process.stderr.isTTY && !this.out.json;
      const results = await replayDeadLetters(client, cfg, sel.chosen, {
        dryRun: flags['dry-run'],
        ...(rate ? { rate } : {}),
        onProgress: (p) => {
          if (tty) process.stderr.write(replayProgress(p));
          else if (!this.out.json && (p.sent === p.total || p.sent % 50 === 0)) this.out.info(replayProgress(p).slice(1));
        },
      });
      if (tty && results.length && !flags['dry-run']) process.stderr.write('\n');
      let outcomes: FollowedReplay[] | undefined;
      if (follower) {
        const commands = results
          .filter((r) => r.commandId && r.correlationId)
          .map((r) => ({ commandId: r.commandId!, correlationId: r.correlationId!, sentAt: r.sentAt ?? Date.now() }));
        outcomes = await follower.follow(commands, { timeoutMs });
      }
      const json = {
        dry_run: flags['dry-run'],
        snapshot_at: new Date(sel.snapshotAt).toISOString(),
        group: sel.group?.id ?? null,
        skipped_already_replayed: sel.alreadyReplayed.map((d) => d.id),
        replayed: results,
        ...(outcomes ? { outcomes } : {}),
      };
      this.out.result(json, () => {
        for (const l of replayLines(results, flags['dry-run'], this.out.color)) this.out.line(l);
        if (outcomes) for (const l of outcomeLines(outcomes, this.out.color)) this.out.line(l);
      });
      const bad = outcomes?.filter((o) => o.outcome !== 'handled') ?? [];
      if (bad.length) {
        throw new MisoError(`${bad.length} of ${outcomes!.length} replayed command(s) were not handled`, {
          hint: 'See the table above; `miso dlq groups` shows what failed again, `miso trace <correlation-id>` one workflow.',
        });
      }
    } finally {
      await follower?.close();
      await pulsar.close();
    }
  }
}

function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0)) throw new UsageError(`--rate "${text}" is not a rate`, { hint: 'Give messages per second: --rate 5 or --rate 5/s.' });
  return n;
}
