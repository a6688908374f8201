import { BaseCommand } from '../../cli/base.js';
import { listMessageTypes } from '../../core/schemas.js';
import { renderTypeList } from '../../ui/render/schemas.js';

export default class SchemasList extends BaseCommand {
  static override description = 'List every message type: kind, topic, message key and what it means';
  static override examples = ['<%= config.bin %> schemas list', '<%= config.bin %> schemas list --json'];

  async run(): Promise<void> {
    await this.parse(SchemasList);
    const types = listMessageTypes();
    this.out.result(types, () => this.out.line(renderTypeList(types, this.out.color)));
  }
}
