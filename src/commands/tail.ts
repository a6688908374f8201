import { Args, Flags } from '@oclif/core';
import Table from 'cli-table3';
import { ConnectedCommand } from '../cli/base.js';
import { openPulsar } from '../core/connect.js';
import { parseStart, parseWhere, scan, tailSources } from '../core/tail.js';
import { resolveMessageType } from '../core/catalog/index.js';
import { jsonLine, prettyLine, tableRow, TABLE_HEAD } from '../ui/render/message.js';
import { LineWriter } from '../ui/render/writer.js';

export default class Tail extends ConnectedCommand {
  static override description = 'Show decoded messages from the event topics (and command/dead-letter topics), live or from a point in time';
  static override examples = [
    '<%= config.bin %> tail',
    '<%= config.bin %> tail --since 10m --no-follow',
    '<%= config.bin %> tail payment.processed --where status=failed',
    '<%= config.bin %> tail --commands --dlq --correlation-id 5f1c2a…',
    '<%= config.bin %> tail --from earliest --no-follow --json > messages.ndjson',
  ];
  static override strict = false;
  static override args = {
    target: Args.string({
      description: 'message types (campaign.created) or topics (campaign-events, persistent://t/ns/x) to read; default: every event topic',
    }),
  };
  static override flags = {
    commands: Flags.boolean({ description: 'also read the command topics' }),
    dlq: Flags.boolean({ description: 'also read the dead-letter topics' }),
    since: Flags.string({ description: 'start this long ago: 30s, 10m, 2h, 1d' }),
    from: Flags.string({ description: 'start at earliest, latest or an ISO time (default: latest when following, earliest with --no-follow)' }),
    follow: Flags.boolean({ description: 'keep reading new messages (--no-follow stops at the end)', default: true, allowNo: true }),
    type: Flags.string({ description: 'only this message type (repeatable)', multiple: true }),
    'correlation-id': Flags.string({ description: 'only messages of this workflow' }),
    where: Flags.string({ description: 'only messages whose payload field has this value: field=value, dot paths allowed (repeatable)', multiple: true }),
    table: Flags.boolean({ description: 'print a table at the end of the history (implies --no-follow)' }),
    limit: Flags.integer({ description: 'stop after this many messages', min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Tail);
    const cfg = this.settingsFrom(flags);
    const follow = flags.follow && !flags.table;
    const { sources, types } = tailSources(cfg, { targets: argv as string[], commands: flags.commands, dlq: flags.dlq });
    const typeFilter = flags.type?.length ? new Set([...(types ?? []), ...flags.type.map((t) => resolveMessageType(t).type)]) : types;
    const start = parseStart({ from: flags.from, since: flags.since }, Date.now(), follow ? 'latest' : 'earliest');
    const where = parseWhere(flags.where ?? []);

    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const writer = new LineWriter();
    const table = flags.table ? new Table({ head: TABLE_HEAD, style: { head: [], border: [] } }) : undefined;
    let shown = 0;
    try {
      const messages = scan(client, sources, {
        start,
        follow,
        signal: abort.signal,
        receiverQueueSize: 2000,
        filter: {
          ...(typeFilter ? { types: typeFilter } : {}),
          ...(flags['correlation-id'] ? { correlationIds: new Set([flags['correlation-id']]) } : {}),
          where,
        },
        onSkip: (s, why) => this.out.debug(`skipped ${s.topic}: ${why}`),
        onCaughtUp: () => {
          if (follow && !this.out.json)
            this.out.info(this.out.color.dim(`— following ${sources.length} topic${sources.length > 1 ? 's' : ''} (Ctrl-C to stop) —`));
        },
      });
      for await (const m of messages) {
        const wait = this.out.json
          ? writer.line(jsonLine(m))
          : table
            ? void table.push(tableRow(m))
            : writer.line(prettyLine(m, this.out.color, { ref: true }));
        if (wait) await wait;
        if (flags.limit && ++shown >= flags.limit) abort.abort();
      }
      if (table) await writer.line(table.toString());
      await writer.flush();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await pulsar.close();
    }
  }
}
