import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../cli/base.js';
import { MisoError } from '../errors.js';
import { openPulsar } from '../core/connect.js';
import { collectWorkflow, followWorkflow, closeReaders, traceMessageOfTailed } from '../core/read/workflow.js';
import { parseDuration } from '../core/read/duration.js';
import { buildTrace, type TraceMessage } from '../core/trace.js';
import { renderTrace, traceJson } from '../ui/render/trace.js';

export default class Trace extends ConnectedCommand {
  static override description = 'Show one workflow as a causal tree across command, event and dead-letter topics, with per-hop latency';
  static override examples = [
    '<%= config.bin %> trace 5f1c2a3e-…',
    '<%= config.bin %> trace 5f1c2a3e-… --since 24h',
    '<%= config.bin %> trace 5f1c2a3e-… --follow',
    '<%= config.bin %> trace 5f1c2a3e-… --json',
  ];
  static override args = {
    'correlation-id': Args.string({ description: 'the workflow: the correlation id `miso send` printed', required: true }),
  };
  static override flags = {
    since: Flags.string({ description: 'how far back to look: 30m, 1h, 24h, 7d', default: '1h' }),
    follow: Flags.boolean({ description: 'keep updating while the workflow runs (Ctrl-C to stop)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Trace);
    const cfg = this.settingsFrom(flags);
    const id = args['correlation-id'];
    const windowMs = parseDuration(flags.since);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const scan = await collectWorkflow(client, cfg, id, {
        fromTime: Date.now() - windowMs,
        signal: abort.signal,
        onSkip: (s, why) => this.out.debug(`skipped ${s.topic}: ${why}`),
      });
      this.out.debug(`scanned ${scan.scanned} messages in ${scan.elapsedMs} ms`);
      const found: TraceMessage[] = scan.messages.map(traceMessageOfTailed);
      if (!found.length && !flags.follow) {
        await closeReaders(scan.readers);
        throw new MisoError(`no message of workflow ${id} in the last ${flags.since} (${scan.scanned} messages scanned)`, {
          hint: `Widen the window with --since 24h, check the id (\`miso tail --json\` shows correlation_id), or --follow to wait for it.`,
        });
      }
      const show = (): void => {
        const trace = buildTrace(id, found);
        if (this.out.json) this.out.data(traceJson(trace));
        else {
          if (flags.follow && this.out.tty) process.stdout.write('\x1b[2J\x1b[H');
          for (const l of renderTrace(trace, this.out.color)) this.out.line(l);
        }
      };
      if (found.length) show();
      if (!flags.follow) {
        await closeReaders(scan.readers);
        return;
      }
      if (!found.length) this.out.info(`waiting for workflow ${id}… (Ctrl-C to stop)`);
      for await (const m of followWorkflow(client, scan.readers, id, abort.signal)) {
        if (!m.envelope) continue;
        found.push(traceMessageOfTailed(m));
        show();
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await pulsar.close();
    }
  }
}
