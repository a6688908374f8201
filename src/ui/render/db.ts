/** Text rendering for `miso db up | down | status`. */
import type { ChalkInstance } from 'chalk';
import type { LocalDbStatus } from '../../services/store/local-postgres.js';

export function renderDbStatus(s: LocalDbStatus, color: ChalkInstance): string[] {
  const head = s.running
    ? `${color.green('●')} PostgreSQL ${s.version ?? ''} running on 127.0.0.1:${s.port}`
    : `${color.dim('○')} PostgreSQL not running (start it with \`miso db up\`)`;
  const lines = [head, `  url    ${s.url}`, `  data   ${s.dataDir}`, `  log    ${s.logFile}`, `  runs   as ${s.runAs}${s.binDir ? ` from ${s.binDir}` : ''}`];
  if (s.running) lines.push('', `Use it: miso run all --database-url ${s.url}   (or MISO_DATABASE_URL=${s.url})`);
  return lines;
}
