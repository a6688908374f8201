import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { checkSchemas } from '../../core/schemas.js';
import { checkAgainstTraffic } from '../../core/schema-traffic.js';
import { openAdmin, openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { TOPICS, type TopicShortName } from '../../core/catalog/index.js';
import { MisoError, UsageError } from '../../errors.js';
import { renderCheck } from '../../ui/render/schemas.js';
import { trafficLines } from '../../ui/render/schema-traffic.js';

export default class SchemasCheck extends ConnectedCommand {
  static override description = 'Compare the local envelope schemas with the versions registered on the broker (BACKWARD_TRANSITIVE), or with the messages stored on the topics (--against-traffic)';
  static override examples = [
    '<%= config.bin %> schemas check',
    '<%= config.bin %> schemas check --dir ./schemas-next --json',
    '<%= config.bin %> schemas check --dir ./schemas-next --against-traffic --since 7d --topic tracking-commands',
  ];
  static override flags = {
    dir: Flags.string({ description: 'schemas directory to check instead of the built-in one (same layout as schemas/)' }),
    'against-traffic': Flags.boolean({ description: 'decode the messages stored on each topic (and its dead-letter topic) with the candidate schemas' }),
    since: Flags.string({ description: 'with --against-traffic: only messages newer than this (7d, 24h)' }),
    topic: Flags.string({ description: 'with --against-traffic: only this topic (repeatable)', options: [...TOPICS], multiple: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SchemasCheck);
    const cfg = this.settingsFrom(flags);
    if (flags['against-traffic']) return this.againstTraffic(flags, cfg);
    if (flags.since || flags.topic) throw new UsageError('--since and --topic go with --against-traffic', { hint: 'Add --against-traffic to read the stored messages with the candidate schemas.' });
    const admin = openAdmin(cfg);
    const report = await checkSchemas(admin, cfg, flags.dir ? { dir: flags.dir } : {});
    this.out.result(report, () => { for (const l of renderCheck(report, this.out.color)) this.out.line(l); });
    if (!report.ok) {
      const bad = report.topics.filter((t) => t.status === 'incompatible').map((t) => t.topic);
      throw new MisoError(`${bad.length} topic schema${bad.length > 1 ? 's are' : ' is'} not compatible with what the broker has: ${bad.join(', ')}`, {
        hint: 'Add new fields with a default and new message types at the end of the union; never remove or retype a field.',
      });
    }
  }

  private async againstTraffic(flags: { dir?: string | undefined; since?: string | undefined; topic?: string[] | undefined }, cfg: ReturnType<SchemasCheck['settingsFrom']>): Promise<void> {
    const since = flags.since ? Date.now() - parseDuration(flags.since) : undefined;
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    try {
      const report = await checkAgainstTraffic(pulsar.client, cfg, { ...(flags.dir ? { dir: flags.dir } : {}), ...(flags.topic ? { topics: flags.topic as TopicShortName[] } : {}), ...(since ? { since } : {}) });
      this.out.result(report, () => { for (const l of trafficLines(report, this.out.color, flags.dir)) this.out.line(l); });
      if (!report.ok) {
        const bad = report.topics.filter((t) => t.failed > 0);
        const f = bad[0]!.versions.find((v) => v.firstFailure)!.firstFailure!;
        throw new MisoError(`stored messages on ${bad.map((t) => t.topic).join(', ')} would not read as written: ${f.field ? `${f.field} ` : ''}${f.reason} (message ${f.messageId})`, {
          hint: 'Keep what the stored messages carry (enum symbols, union branches, field types), or let them expire before the change.',
        });
      }
    } finally {
      await pulsar.close();
    }
  }
}
