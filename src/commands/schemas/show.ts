import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { showMessageType } from '../../core/schemas.js';
import { typeChoices, resolveMessageType } from '../../core/catalog/index.js';
import { renderTypeDetail } from '../../ui/render/schemas.js';

export default class SchemasShow extends BaseCommand {
  static override description = 'Show one message type: its fields (as `miso send` flags), topic, key and Avro record';
  static override examples = ['<%= config.bin %> schemas show campaign.create', '<%= config.bin %> schemas show payment.processed --avsc'];
  static override args = {
    type: Args.string({ description: 'message type, short (campaign.create) or full (campaign.create.command.v1)', required: true, options: typeChoices() }),
  };
  static override flags = {
    avsc: Flags.boolean({ description: 'print the standalone Avro record schema only' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SchemasShow);
    const shown = showMessageType(args.type);
    if (flags.avsc) {
      this.out.data(shown.schema);
      return;
    }
    this.out.result(shown, () => this.out.line(renderTypeDetail(shown, this.out.color)));
  }

  // oclif refuses a type outside `options` on its own; say it with the nearest name instead.
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const typed = /Expected (.+?) to be one of/.exec(String(err.message))?.[1];
    if (typed !== undefined) {
      try { resolveMessageType(typed); } catch (better) { return super.catch(better as Error); }
    }
    return super.catch(err);
  }
}
