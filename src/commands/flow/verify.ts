import { Args, Flags } from '@oclif/core';
import { ConnectedCommand } from '../../cli/base.js';
import { MisoError } from '../../errors.js';
import { loadFlowFiles, verifyFlowFiles, writeReport } from '../../core/flow/files.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { junitXml, renderVerdict, renderVerifySummary, verifyJson } from '../../ui/render/flow.js';

export default class FlowVerify extends ConnectedCommand {
  static override description =
    'Send the root commands of recorded flows again (fresh ids), wait for their chains and report each missing, extra, retyped, slow hop or field that no longer carries over';
  static override examples = [
    '<%= config.bin %> flow verify flows/*.json',
    '<%= config.bin %> flow verify flows/*.json --junit reports/flows.xml',
    '<%= config.bin %> flow verify flows/tracking-click.json --json',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ description: 'flow files (from `miso flow record`)', required: true }),
  };
  static override flags = {
    junit: Flags.string({ description: 'also write a JUnit XML report to this file' }),
    timeout: Flags.string({ description: 'how long to wait for the chain of each root command', default: '10s' }),
    settle: Flags.string({ description: 'how long to keep watching for extra hops once a chain is complete', default: '500ms' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(FlowVerify);
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const settleMs = parseDuration(flags.settle, '--settle');
    // Every file is read and checked before anything is sent.
    const flows = loadFlowFiles(argv as string[]);
    const cfg = this.settingsFrom(flags);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let results;
    try {
      const width = Math.max(...flows.map((f) => f.flow.name.length));
      // Each flow's lines as soon as it is done: a CI log shows progress on a long run.
      results = await verifyFlowFiles(client, cfg, flows, {
        timeoutMs,
        settleMs,
        signal: abort.signal,
        onStart: (f) => this.out.debug(`verifying ${f}`),
        onDone: (r) => {
          for (const l of renderVerdict(r, this.out.color, width)) this.out.line(l);
        },
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await pulsar.close();
    }
    if (abort.signal.aborted)
      throw new MisoError('interrupted; the flows verified so far are above', { hint: 'Run again to verify every flow.', exitCode: 130 });
    if (flags.junit) writeReport(flags.junit, junitXml(results));
    if (this.out.json) this.out.data(verifyJson(results));
    else this.out.line(renderVerifySummary(results));
    const failed = results.filter((r) => !r.verdict.ok);
    if (failed.length) {
      throw new MisoError(
        `${failed.length} of ${results.length} flow${results.length === 1 ? '' : 's'} failed: ${failed.map((r) => r.verdict.name).join(', ')}`,
        {
          hint: 'A service changed a chain: fix it, or record the flow again if the change is intended (`miso flow record <correlation-id> --out <file>`).',
        },
      );
    }
  }
}
