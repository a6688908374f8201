import { Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { asyncApiDocument, writeDocument } from '../../core/schemas.js';

export default class SchemasAsyncapi extends ConnectedCommand {
  static override description = 'Print the AsyncAPI 3.0 document of the system: topics, messages (Avro payloads), who sends and receives what';
  static override examples = ['<%= config.bin %> schemas asyncapi > asyncapi.json', '<%= config.bin %> schemas asyncapi --output docs/asyncapi.json --tenant acme'];
  static override flags = {
    output: Flags.string({ char: 'o', description: 'write the document to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SchemasAsyncapi);
    const cfg = this.settingsFrom(flags);
    const doc = asyncApiDocument(cfg, { version: this.config.version });
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (flags.output) {
      writeDocument(flags.output, text);
      this.out.info(`wrote ${flags.output}`);
    } else process.stdout.write(text);
  }
}
