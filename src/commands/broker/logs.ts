import { Flags } from '@oclif/core';
import { watchFile, unwatchFile, openSync, readSync, closeSync, statSync, existsSync } from 'node:fs';
import { BaseCommand } from '../../cli/base.js';
import { LocalBroker } from '../../broker/local.js';
import { MisoError } from '../../errors.js';

export default class BrokerLogs extends BaseCommand {
  static override description = 'Show the local broker log; -f follows it';
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines' }),
    lines: Flags.integer({ char: 'n', description: 'lines to show from the end', default: 50, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerLogs);
    const broker = new LocalBroker();
    if (!existsSync(broker.logFile)) throw new MisoError(`no broker log yet (${broker.logFile})`, { hint: 'Start the broker with `miso broker up`.' });
    const tail = broker.tailLog(flags.lines);
    if (tail) process.stdout.write(tail + '\n');
    if (!flags.follow) return;
    let pos = statSync(broker.logFile).size;
    await new Promise<void>((resolve) => {
      watchFile(broker.logFile, { interval: 250 }, (cur) => {
        if (cur.size < pos) pos = 0; // rotated or truncated
        if (cur.size === pos) return;
        const fd = openSync(broker.logFile, 'r');
        const buf = Buffer.alloc(cur.size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        closeSync(fd);
        pos = cur.size;
        process.stdout.write(buf);
      });
      process.once('SIGINT', () => { unwatchFile(broker.logFile); resolve(); });
    });
  }
}
