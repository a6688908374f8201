import { Flags } from '@oclif/core';
import { watchFile, unwatchFile, openSync, readSync, closeSync, statSync, existsSync } from 'node:fs';
import { BaseCommand } from '../../cli/base.js';
import { LocalCluster } from '../../broker/cluster.js';
import { LocalBroker } from '../../broker/local.js';
import { MisoError } from '../../errors.js';

export default class BrokerLogs extends BaseCommand {
  static override description = 'Show the local broker log; -f follows it';
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines' }),
    process: Flags.string({ char: 'p', description: 'a process of the local cluster: zookeeper, bookie-1, broker-1, …' }),
    lines: Flags.integer({ char: 'n', description: 'lines to show from the end', default: 50, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerLogs);
    const broker = flags.process === undefined ? new LocalBroker() : undefined;
    const cluster = new LocalCluster();
    if (flags.process !== undefined && !cluster.state()?.processes.some((p) => p.name === flags.process)) {
      const names = cluster
        .state()
        ?.processes.map((p) => p.name)
        .join(', ');
      throw new MisoError(`no process "${flags.process}" in the local cluster`, {
        hint: names ? `Choose one of: ${names}.` : 'Start a cluster with `miso broker up --brokers 2`.',
      });
    }
    const logFile = broker ? broker.logFile : cluster.logFileOf(flags.process!);
    if (!existsSync(logFile)) throw new MisoError(`no broker log yet (${logFile})`, { hint: 'Start the broker with `miso broker up`.' });
    const tail = broker ? broker.tailLog(flags.lines) : cluster.tailLog(flags.process!, flags.lines);
    if (tail) process.stdout.write(tail + '\n');
    if (!flags.follow) return;
    let pos = statSync(logFile).size;
    await new Promise<void>((resolve) => {
      watchFile(logFile, { interval: 250 }, (cur) => {
        if (cur.size < pos) pos = 0; // rotated or truncated
        if (cur.size === pos) return;
        const fd = openSync(logFile, 'r');
        const buf = Buffer.alloc(cur.size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        closeSync(fd);
        pos = cur.size;
        process.stdout.write(buf);
      });
      process.once('SIGINT', () => {
        unwatchFile(logFile);
        resolve();
      });
    });
  }
}
