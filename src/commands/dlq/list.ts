import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { SERVICES, type ServiceName } from '../../config/index.js';
import { deadLetterJson, listDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { deadLetterListLines } from '../../ui/render/dlq.js';

export default class DlqList extends ConnectedCommand {
  static override description = 'List dead letters of the four services: origin, original message id, redeliveries, last error';
  static override examples = ['<%= config.bin %> dlq list', '<%= config.bin %> dlq list --service payment --since 1h', '<%= config.bin %> dlq list --json'];
  static override flags = {
    service: Flags.string({ description: 'only this service', options: [...SERVICES], multiple: true }),
    since: Flags.string({ description: 'only dead letters newer than this: 30m, 24h, 7d' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DlqList);
    const cfg = this.settingsFrom(flags);
    const since = flags.since ? Date.now() - parseDuration(flags.since) : undefined;
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    try {
      const letters = await listDeadLetters(client, cfg, {
        ...(flags.service ? { services: flags.service as ServiceName[] } : {}),
        ...(since ? { since } : {}),
      });
      this.out.result(letters.map(deadLetterJson), () => {
        for (const l of deadLetterListLines(letters, this.out.color, { tenant: cfg.tenant, namespace: cfg.namespace, since: flags.since })) this.out.line(l);
      });
    } finally {
      await pulsar.close();
    }
  }
}
