import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { SERVICES, type ServiceName } from '../../config/index.js';
import { groupDeadLetters, listDeadLetters } from '../../core/dlq.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { groupJson, groupLines } from '../../ui/render/dlq.js';

export default class DlqGroups extends ConnectedCommand {
  static override description = 'Dead letters grouped by how they failed: service, type, schema version and the error with ids, numbers and times stripped';
  static override examples = [
    '<%= config.bin %> dlq groups',
    '<%= config.bin %> dlq groups --since 1h --json',
    '<%= config.bin %> dlq replay --group <id> --dry-run',
  ];
  static override flags = {
    service: Flags.string({ description: 'only this service', options: [...SERVICES], multiple: true }),
    since: Flags.string({ description: 'only dead letters newer than this: 30m, 24h, 7d' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DlqGroups);
    const cfg = this.settingsFrom(flags);
    const since = flags.since ? Date.now() - parseDuration(flags.since) : undefined;
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    try {
      const groups = groupDeadLetters(
        await listDeadLetters(pulsar.client, cfg, { ...(flags.service ? { services: flags.service as ServiceName[] } : {}), ...(since ? { since } : {}) }),
      );
      this.out.result(groups.map(groupJson), () => {
        for (const l of groupLines(groups, this.out.color, { tenant: cfg.tenant, namespace: cfg.namespace, since: flags.since })) this.out.line(l);
      });
    } finally {
      await pulsar.close();
    }
  }
}
