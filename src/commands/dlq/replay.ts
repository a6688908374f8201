import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { SERVICES, type ServiceName } from '../../config/index.js';
import { findDeadLetter, listDeadLetters, replayDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { UsageError } from '../../errors.js';
import { replayLines } from '../../ui/render/dlq.js';

export default class DlqReplay extends ConnectedCommand {
  static override description = 'Send dead letters back to the topic they came from (same command id and correlation id; safe to repeat)';
  static override examples = [
    '<%= config.bin %> dlq replay 1234:5:-1:-1',
    '<%= config.bin %> dlq replay --all --service payment',
    '<%= config.bin %> dlq replay --all --dry-run',
  ];
  static override args = {
    id: Args.string({ description: 'dead-letter message id or command id (unique prefix of 6+ characters)' }),
  };
  static override flags = {
    all: Flags.boolean({ description: 'replay every dead letter (of --service, newer than --since)' }),
    service: Flags.string({ description: 'only this service', options: [...SERVICES], multiple: true }),
    since: Flags.string({ description: 'only dead letters newer than this: 30m, 24h' }),
    'dry-run': Flags.boolean({ description: 'say what would be replayed, send nothing' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DlqReplay);
    if (!args.id && !flags.all) throw new UsageError('say which dead letter to replay', { hint: 'Give an id (`miso dlq list`), or --all.' });
    if (args.id && flags.all) throw new UsageError('give an id or --all, not both', { hint: '`miso dlq replay <id>` replays one; `--all` replays every one.' });
    const cfg = this.settingsFrom(flags);
    const since = flags.since ? Date.now() - parseDuration(flags.since) : undefined;
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    try {
      const letters = await listDeadLetters(client, cfg, { ...(flags.service ? { services: flags.service as ServiceName[] } : {}), ...(since ? { since } : {}) });
      const chosen = args.id ? [findDeadLetter(letters, args.id)] : letters;
      const results = await replayDeadLetters(client, cfg, chosen, { dryRun: flags['dry-run'] });
      this.out.result({ dry_run: flags['dry-run'], replayed: results }, () => {
        for (const l of replayLines(results, flags['dry-run'], this.out.color)) this.out.line(l);
      });
    } finally {
      await pulsar.close();
    }
  }
}
