import { Args } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { deadLetterJson, findDeadLetter, listDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { jsonReplacer } from '../../ui/output.js';

export default class DlqShow extends ConnectedCommand {
  static override description = 'Show one dead letter: where it came from, why, and the message decoded';
  static override examples = ['<%= config.bin %> dlq show 1234:5:-1:-1', '<%= config.bin %> dlq show 5f1c2a3e'];
  static override args = {
    id: Args.string({ description: 'dead-letter message id, or the command id (a unique prefix of 6+ characters will do)', required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DlqShow);
    const cfg = this.settingsFrom(flags);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    try {
      const d = findDeadLetter(await listDeadLetters(client, cfg), args.id);
      const json = deadLetterJson(d);
      this.out.result(json, () => {
        const c = this.out.color;
        const rows: [string, unknown][] = [
          ['id', d.id], ['service', d.service], ['dead-lettered', json.dead_lettered_at], ['origin topic', d.originTopic],
          ['origin message', d.originMessageId], ['redeliveries', d.redeliveryCount ?? '≥ max'], ['last error', d.lastError],
          ['type', json.type], ['correlation id', json.correlation_id], ['key', d.key],
        ];
        for (const [k, v] of rows) this.out.line(`${c.dim(k.padEnd(15))} ${v ?? '-'}`);
        if (d.envelope) this.out.line(JSON.stringify(d.envelope, jsonReplacer, 2));
        else this.out.line(`${c.red('undecodable')}: ${d.decodeError ?? 'unknown'}\n${c.dim('payload (base64)')} ${json.payload_base64 as string}`);
      });
    } finally {
      await pulsar.close();
    }
  }
}
