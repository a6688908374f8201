/** `miso broker up | status | down` as text. */
import type { ChalkInstance } from 'chalk';
import type { ClusterUpResult, UpResult } from '../../broker/commands.js';
import type { ClusterStatus } from '../../broker/cluster.js';
import type { TopicOwner, UnloadResult } from '../../broker/drills.js';
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
    case 'unpack':
      return `Unpacking Pulsar ${p.version}…`;
    case 'cached':
      return `Pulsar ${p.version} cached in ${p.dir} (${p.seconds.toFixed(1)} s)`;
    case 'start':
      return `Starting Pulsar ${p.version} on ${p.serviceUrl} (${p.seconds.toFixed(0)} s)…`;
  }
}

/** The progress line while `broker up` runs init. */
export function brokerInitStepText(s: InitStep): string {
  return `miso init: ${s.name}`;
}

// ---------------------------------------------------------------------------------------
// The local multi-broker cluster

export function clusterUpLines(r: ClusterUpResult, c: ChalkInstance): string[] {
  const brokers = r.state.processes.filter((p) => p.role === 'broker').length;
  const lines = [
    r.alreadyRunning
      ? `${c.green('✔')} Pulsar ${r.state.version} cluster of ${brokers} brokers is already running`
      : `${c.green('✔')} Pulsar ${r.state.version} cluster of ${brokers} brokers ready in ${r.seconds.toFixed(1)} s`,
    ...r.state.processes.map((p) => `  ${p.name.padEnd(10)} pid ${String(p.pid).padEnd(7)} ${portsText(p.ports)}`),
    `  service URL  ${r.serviceUrl}`,
    `  admin URL    ${r.adminUrl}`,
    `  profile      ${r.profile}`,
  ];
  if (r.init) lines.push(`  init         ${r.init.tenant}/${r.init.namespace}: ${initCounts(r.init, c)}`);
  lines.push('  logs         miso broker logs --process broker-1');
  return lines;
}

function portsText(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

export function clusterStatusLines(s: ClusterStatus, owners: TopicOwner[] | undefined, c: ChalkInstance): string[] {
  if (s.processes.length === 0) return [];
  const lines = [
    `Cluster ${s.cluster}: ${s.ready ? 'ready' : s.running ? 'degraded' : 'stopped'} — Pulsar ${s.version}, since ${s.startedAt}`,
    `  ${'process'.padEnd(10)} ${'role'.padEnd(9)} ${'pid'.padEnd(7)} ${'state'.padEnd(5)} ${'rss'.padEnd(7)} ports`,
    ...s.processes.map(
      (p) =>
        `  ${p.name.padEnd(10)} ${p.role.padEnd(9)} ${String(p.pid).padEnd(7)} ${p.up ? c.green('up   ') : c.red('down ')} ${(p.rssMb !== undefined ? `${p.rssMb} MB` : '-').padEnd(7)} ${portsText(p.ports)}`,
    ),
    `  active brokers  ${s.activeBrokers.length ? s.activeBrokers.join(', ') : 'none'}`,
    `  service URL     ${s.serviceUrl}`,
    `  data            ${s.dataDir} (${mb(s.dataBytes)})`,
  ];
  if (owners) {
    lines.push('  topic owners');
    for (const o of owners) lines.push(`    ${o.topic}  ${o.owner ? `${o.process ?? ''} ${o.owner}`.trim() : c.red(`? ${o.error ?? ''}`)}`);
  }
  return lines;
}

export function clusterDownLine(r: { stopped: string[] }, c: ChalkInstance): string {
  return r.stopped.length ? `${c.green('✔')} stopped ${r.stopped.join(', ')}` : 'No cluster started by miso is running.';
}

export function killLine(r: { name: string; pid: number }, signal: string, c: ChalkInstance): string {
  return `${c.yellow('✖')} sent ${signal} to ${r.name} (pid ${r.pid})`;
}

export function startLine(r: { name: string; pid: number; seconds: number }, c: ChalkInstance): string {
  return `${c.green('✔')} ${r.name} running again (pid ${r.pid}); every broker listed after ${r.seconds.toFixed(1)} s`;
}

export function unloadLine(r: UnloadResult, c: ChalkInstance): string {
  if (r.to)
    return `${c.green('✔')} unloaded ${r.kind} ${r.target} (bundle${r.bundles!.length === 1 ? '' : 's'} ${r.bundles!.join(', ')}) to ${r.to} in ${r.seconds.toFixed(2)} s`;
  return `${c.green('✔')} unloaded ${r.kind} ${r.target} in ${r.seconds.toFixed(2)} s; its next lookup picks an owner`;
}
