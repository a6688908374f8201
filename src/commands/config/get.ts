import { Args } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { mask } from '../../config/index.js';
import { profileKey } from '../../config/edit.js';
import { settingsLines } from '../../ui/render/config.js';

export default class ConfigGet extends ConnectedCommand {
  static override description = 'Show the settings in effect and where each comes from (flag, env, profile, default)';
  static override args = { key: Args.string({ description: 'one setting, e.g. serviceUrl' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigGet);
    const cfg = this.settingsFrom(flags);
    const values: Record<string, unknown> = {
      serviceUrl: cfg.serviceUrl,
      adminUrl: cfg.adminUrl,
      token: cfg.token ? mask(cfg.token) : null,
      tenant: cfg.tenant,
      namespace: cfg.namespace,
      tlsTrustCertsFile: cfg.tlsTrustCertsFile ?? null,
      tlsAllowInsecure: cfg.tlsAllowInsecure,
      retentionMinutes: cfg.retentionMinutes,
      retentionSizeMb: cfg.retentionSizeMb,
    };
    if (args.key) {
      const key = profileKey(args.key) === 'tokenFile' ? 'token' : profileKey(args.key);
      this.out.result({ key, value: values[key], source: cfg.sources[key] }, () => this.out.line(String(values[key] ?? '')));
      return;
    }
    this.out.result({ profile: cfg.profile ?? null, values, sources: cfg.sources }, () => {
      for (const l of settingsLines(cfg.profile, values, cfg.sources)) this.out.line(l);
    });
  }
}
