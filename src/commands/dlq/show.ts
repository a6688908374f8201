import { Args } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { deadLetterJson, findDeadLetter, listDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { deadLetterLines } from '../../ui/render/dlq.js';

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
        for (const l of deadLetterLines(d, json, this.out.color)) this.out.line(l);
      });
    } finally {
      await pulsar.close();
    }
  }
}
