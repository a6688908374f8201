/** `miso run` as text: a line per started service, and what the stop left behind. */
import type { ChalkInstance } from 'chalk';

export interface StartedService {
  name: string;
  mode: string;
  url: string | undefined;
  db: string;
  topics: readonly string[];
  subscription: string;
  keyShared: boolean;
}

export function serviceStartedLines(s: StartedService, c: ChalkInstance): string[] {
  const lines = [`${c.green('●')} ${c.bold(s.name)} service  ${s.mode} mode  ${s.url}/health  db ${s.db}`];
  if (s.topics.length) lines.push(`  ${c.dim(`consuming ${s.topics.join(', ')} as ${s.subscription} (${s.keyShared ? 'Key_Shared' : 'Shared'})`)}`);
  return lines;
}

/** `left`: messages still in each service's outbox after the stop. */
export function servicesStoppedLine(left: Record<string, number>): string {
  const pending = Object.entries(left).filter(([, n]) => n > 0);
  return pending.length === 0
    ? 'Stopped; every outbox is empty.'
    : `Stopped; unpublished messages are kept and go out on the next start: ${pending.map(([s, n]) => `${s} ${n}`).join(', ')}.`;
}
