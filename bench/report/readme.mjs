/**
 * The README's benchmark block, rendered from a full run's results (bench/report/results.json)
 * and written between `<!-- bench:start -->` and `<!-- bench:end -->`, so the README quotes
 * exactly what bench/RESULTS.md holds and nothing else.
 *
 *   node bench/report/readme.mjs        re-render the block from the committed results
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, fmt } from './render.mjs';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Rows the README shows, in order: [suite key, name pattern, label]. */
const PICK = [
  ['client', /^client: produce 100 B/, 'produce 100 B, batching (acknowledged)'],
  ['client', /^client: produce 1 KB/, 'produce 1 KB, batching (acknowledged)'],
  ['client', /^client: consume 100 B/, 'consume 100 B backlog, ack each'],
  ['client', /^client: consume 1 KB/, 'consume 1 KB backlog, ack each'],
  ['client', /^client: publish latency p50/, null],
  ['client', /^client: publish latency p99/, null],
  ['client', /^client: consumer peak RSS/, null],
  ['python', /^produce/, null],
  ['python', /^consume/, null],
  ['devtools', /^send one command/, '`miso send`, one command, process wall time'],
  ['devtools', /^tail --json, steady/, null],
  ['devtools', /^tail --json, process start-up/, null],
  ['devtools', /^trace one workflow/, null],
  ['workflow', /^workflow latency p50 @100/, null],
  ['workflow', /^workflow latency p99 @100/, null],
  ['workflow', /^highest sustained workflows/, null],
  ['dashboard', /^dashboard: highest ingest through the broker/, null],
  ['dashboard', /^dashboard: highest ingest, injected/, null],
  ['dashboard', /^dashboard: RSS at 5k/, null],
];

const cell = (v, min, max) => (min === null || min === undefined ? fmt(v) : `${fmt(v)} (${fmt(min)}–${fmt(max)})`);

export function readmeBlock(data) {
  const when = data.startedAt.slice(0, 10);
  const lines = [
    START,
    `Headline figures from the full run of ${when} (\`${data.command.replace(/--machine-note ("[^"]*"|\S+)/, '--machine-note …')}\`, ${Math.round(data.durationS / 60)} min; ${data.machine.cores} cores, ${data.quiet ? 'quiet machine' : `**machine not quiet**: ${data.machineNote.replace(/\.$/, '')}`}). Medians of ${data.runs} runs with the order of miso and the peer alternated, min–max in brackets; every figure and its method is in [bench/RESULTS.md](bench/RESULTS.md).`,
    '',
    '| figure | miso | peer | miso / peer | goal |',
    '|---|---|---|---|---|',
  ];
  for (const [key, pattern, label] of PICK) {
    const suite = data.suites.find((s) => s.key === key);
    if (!suite || suite.error) continue;
    // Throughput rows come in msg/s and MB/s: the README shows msg/s (or the failure).
    const r = suite.rows.find((x) => pattern.test(x.name) && x.unit !== 'MB/s');
    if (!r) continue;
    if (r.error) {
      lines.push(`| ${(label ?? r.name).replace(/^(client|dashboard): /, '')} | did not complete in this run: ${r.error.replace(/\|/g, '\\|')} | | | |`);
      continue;
    }
    const c = compare(r);
    const peer = r.peer === null || r.peer === undefined ? '—' : `${r.peerTool ?? suite.peerTool}: ${cell(r.peer, r.peerMin, r.peerMax)}`;
    const goal = r.goal ? `${r.goal}${r.ok === undefined ? '' : r.ok ? ' — met' : ' — **not met**'}` : '';
    const name = `${(label ?? r.name).replace(/^(client|dashboard): /, '')}${r.note ? ` (${r.note})` : ''}`;
    lines.push(`| ${name} | ${cell(r.miso, r.misoMin, r.misoMax)} ${r.unit} | ${peer} | ${c.ratio === null ? '—' : c.words} | ${goal} |`);
  }
  const failed = data.suites.filter((s) => s.error);
  if (failed.length) lines.push('', `Did not complete in that run: ${failed.map((s) => `${s.title} (${s.error})`).join('; ')}.`);
  lines.push(END);
  return lines.join('\n');
}

/** Replace the block in README.md; throws when the markers are missing. */
export function updateReadme(readmePath, data) {
  const text = readFileSync(readmePath, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readmePath} has no ${START} … ${END} block`);
  writeFileSync(readmePath, text.slice(0, a) + readmeBlock(data) + text.slice(b + END.length));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const data = JSON.parse(readFileSync(`${root}bench/report/results.json`, 'utf8'));
  if (data.mode !== 'full' || data.quotable === false) throw new Error('bench/report/results.json is not from a full run: not quotable');
  updateReadme(`${root}README.md`, data);
  console.log('README.md benchmark block updated from bench/report/results.json');
}
