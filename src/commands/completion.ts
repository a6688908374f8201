import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { bashCompletion } from '../ui/completion.js';

export default class Completion extends BaseCommand {
  static override description = 'Print a completion script for bash or zsh: commands, flags and message types (miso send <TAB>)';
  static override examples = ['source <(<%= config.bin %> completion bash)', '<%= config.bin %> completion bash >> ~/.bashrc'];
  static override args = { shell: Args.string({ description: 'bash or zsh', options: ['bash', 'zsh'], default: 'bash' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const commands = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id.replace(/:/g, ' '),
        flags: Object.keys(c.flags ?? {}),
        argOptions: Object.values(c.args ?? {})[0]?.options ?? [],
      }));
    const script = bashCompletion(commands, this.config.bin);
    process.stdout.write(args.shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script);
  }
}
