import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { SERVICES, type ServiceName } from '../../config/index.js';
import { deadLetterJson, listDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';

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
      const letters = await listDeadLetters(client, cfg, { ...(flags.service ? { services: flags.service as ServiceName[] } : {}), ...(since ? { since } : {}) });
      this.out.result(letters.map(deadLetterJson), () => {
        const c = this.out.color;
        if (letters.length === 0) {
          this.out.line(`No dead letters in ${cfg.tenant}/${cfg.namespace}${flags.since ? ` in the last ${flags.since}` : ''}.`);
          return;
        }
        for (const d of letters) {
          const type = d.envelope?.type ?? d.properties.type ?? 'undecodable';
          const corr = d.envelope?.correlation_id ?? d.properties.correlation_id;
          this.out.line(`${c.bold(d.id)}  ${c.dim(new Date(d.deadLetteredAt).toISOString())}  ${d.service}  ${d.envelope ? type : c.red(type)}${corr ? c.dim(`  wf ${corr.slice(0, 8)}`) : ''}`);
          this.out.line(`  ${c.dim('from')} ${d.originTopic ?? '?'} ${c.dim(d.originMessageId ?? '')}  ${c.dim('redeliveries')} ${d.redeliveryCount ?? '≥ max'}`);
          this.out.line(`  ${c.dim('error')} ${d.lastError}`);
        }
        this.out.line(c.dim(`${letters.length} dead letter(s). \`miso dlq show <id>\` for one, \`miso dlq replay <id>\` or \`--all\` to send back.`));
      });
    } finally {
      await pulsar.close();
    }
  }
}
