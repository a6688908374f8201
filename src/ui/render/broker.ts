/** `miso broker up | status | down` as text. */
import type { ChalkInstance } from 'chalk';
import type { UpResult } from '../../broker/commands.js';
import type { BrokerProgress } from '../../broker/distribution.js';
import type { BrokerStatus } from '../../broker/local.js';
import type { InitStep } from '../../core/init.js';
import { initCounts } from './admin.js';

export function brokerUpLines(r: UpResult, c: ChalkInstance): string[] {
  const lines = [
    r.alreadyRunning
      ? `${c.green('✔')} Pulsar ${r.state.version} is already running (pid ${r.state.pid})`
      : `${c.green('✔')} Pulsar ${r.state.version} ready in ${r.seconds.toFixed(1)} s (pid ${r.state.pid})`,
    `  service URL  ${r.serviceUrl}`,
    `  admin URL    ${r.adminUrl}`,
  ];
  if (r.secure) {
    lines.push(`  CA           ${r.secure.caFile}`);
    lines.push(`  admin token  ${r.secure.adminTokenFile} (other test tokens in ${r.secure.tokensDir})`);
  }
  lines.push(`  profile      ${r.profile}`);
  if (r.init) lines.push(`  init         ${r.init.tenant}/${r.init.namespace}: ${initCounts(r.init, c)}`);
  lines.push(`  logs         miso broker logs -f`);
  return lines;
}

export function brokerStatusLines(s: BrokerStatus): string[] {
  if (!s.running) {
    return ['Broker: not running (start it with `miso broker up`)', `  data      ${s.dataDir} (${mb(s.dataBytes)})`];
  }
  return [
    `Broker: running${s.ready ? '' : ' (not ready yet)'} — Pulsar ${s.version}, pid ${s.pid}, since ${s.startedAt}`,
    `  service URL  ${s.serviceUrl}`,
    `  admin URL    ${s.adminUrl}`,
    `  data         ${s.dataDir} (${mb(s.dataBytes)})`,
    `  log          ${s.logFile}`,
  ];
}

export function brokerDownLine(r: { stopped: boolean; pid?: number }, c: ChalkInstance): string {
  return r.stopped ? `${c.green('✔')} stopped the broker (pid ${r.pid}); its ports are free` : 'No broker started by miso is running.';
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The progress line for what `broker up` is busy with. */
export function brokerProgressText(p: BrokerProgress): string {
  switch (p.stage) {
    case 'fetch':
      return p.bytes === 0
        ? `Fetching Pulsar ${p.version} from Maven Central (about 240 MB, once)…`
        : `Fetching Pulsar ${p.version} from Maven Central: ${(p.bytes / 1e6).toFixed(0)} MB (${p.percent}%), ${p.seconds.toFixed(0)} s`;
    case 'unpack': return `Unpacking Pulsar ${p.version}…`;
    case 'cached': return `Pulsar ${p.version} cached in ${p.dir} (${p.seconds.toFixed(1)} s)`;
    case 'start': return `Starting Pulsar ${p.version} on ${p.serviceUrl} (${p.seconds.toFixed(0)} s)…`;
  }
}

/** The progress line while `broker up` runs init. */
export function brokerInitStepText(s: InitStep): string {
  return `miso init: ${s.name}`;
}
