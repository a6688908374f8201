import { Args, Flags } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConnectedCommand } from '../../cli/base.js';
import { UsageError } from '../../errors.js';
import { flowText } from '../../core/flow/format.js';
import { DEFAULT_BUDGET } from '../../core/flow/record.js';
import { recordFlow } from '../../core/flow/run.js';
import { openPulsar } from '../../core/connect.js';
import { parseDuration } from '../../core/read/duration.js';
import { renderRecorded } from '../../ui/render/flow.js';

export default class FlowRecord extends ConnectedCommand {
  static override description =
    'Write the causal graph of a workflow (types, topics, hops, carried fields, latency budgets; no ids or times) as a flow file for `miso flow verify`';
  static override examples = [
    '<%= config.bin %> flow record 5f1c2a3e-… --out flows/tracking-click.json',
    '<%= config.bin %> flow record 5f1c2a3e-… > flows/tracking-click.json',
    '<%= config.bin %> flow record 5f1c2a3e-… --since 24h --headroom 10 --min-budget 2s --out flows/slow.json',
  ];
  static override args = {
    'correlation-id': Args.string({ description: 'the workflow: the correlation id `miso send` printed', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'write the flow to this file (default: stdout)' }),
    name: Flags.string({ description: 'name of the flow (default: the file name without .json)' }),
    since: Flags.string({ description: 'how far back to look for the workflow: 30m, 1h, 24h, 7d', default: '1h' }),
    headroom: Flags.integer({ description: 'latency budget of a hop = observed × this', default: DEFAULT_BUDGET.headroom, min: 1 }),
    'min-budget': Flags.string({ description: 'smallest latency budget of a hop', default: `${DEFAULT_BUDGET.floorMs}ms` }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(FlowRecord);
    const sinceMs = parseDuration(flags.since);
    const floorMs = parseDuration(flags['min-budget'], '--min-budget');
    const name = flags.name ?? (flags.out ? basename(flags.out).replace(/\.json$/i, '') : 'flow');
    if (!/^[\w.-]+$/.test(name))
      throw new UsageError(`flow name "${name}" may hold letters, digits, ".", "-" and "_" only`, { hint: 'Pass --name tracking-click.' });
    const cfg = this.settingsFrom(flags);
    const pulsar = openPulsar(cfg, { client: { log: (l) => this.out.debug(l) } });
    const client = pulsar.client;
    let flow;
    try {
      flow = await recordFlow(client, cfg, args['correlation-id'], { sinceMs, since: flags.since, name, budget: { headroom: flags.headroom, floorMs } });
    } finally {
      await pulsar.close();
    }
    if (!flags.out) {
      process.stdout.write(flowText(flow));
      return;
    }
    try {
      writeFileSync(flags.out, flowText(flow));
    } catch (err) {
      throw new UsageError(`cannot write ${flags.out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        hint: 'Check that the directory exists and is writable.',
      });
    }
    this.out.result({ file: flags.out, name: flow.name, nodes: flow.nodes.length, hops: flow.hops.length, roots: flow.roots.length }, () => {
      for (const l of renderRecorded(flow, flags.out!, this.out.color)) this.out.line(l);
    });
  }
}
