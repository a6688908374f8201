/** bench/RESULTS.md (or the quick run's unquotable report) from the collected rows. */

/** Units where more is better; for the rest (ms, s, MB, %) less is better. */
const HIGHER_IS_BETTER = new Set(['msg/s', 'MB/s', 'workflows/s']);

export const fmt = (v) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (typeof v !== 'number') return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
};

const range = (min, max) => (min === null || min === undefined ? '' : `${fmt(min)}–${fmt(max)}`);

/** miso/peer of the medians, and what it means in words. */
export function compare(row) {
  if (typeof row.miso !== 'number' || typeof row.peer !== 'number' || row.peer === 0 || row.miso === 0) return { ratio: null, words: '—' };
  const ratio = row.miso / row.peer;
  if (HIGHER_IS_BETTER.has(row.unit)) return { ratio, words: `${ratio.toFixed(2)}× the peer` };
  const better = ratio <= 1;
  const f = better ? 1 / ratio : ratio;
  const adjective = row.unit === 'MB' ? (better ? 'smaller' : 'larger') : row.unit.startsWith('%') ? (better ? 'less' : 'more') : better ? 'faster' : 'slower';
  return { ratio, words: `${f.toFixed(2)}× ${adjective}` };
}

const goalCell = (r) => (r.goal ? `${r.goal}${r.ok === undefined ? '' : r.ok ? ' — met' : ' — **not met**'}` : '');

function table(rows, peerTool) {
  const out = [
    '| figure | miso (median) | miso min–max | peer (median) | peer min–max | unit | peer | miso / peer | goal |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.error) {
      out.push(`| ${r.name} | **did not complete:** ${r.error.replace(/\|/g, '\\|')} | | | | | | | ${goalCell(r)} |`);
      continue;
    }
    const c = compare(r);
    const tool = r.peer === null || r.peer === undefined ? '—' : (r.peerTool ?? peerTool ?? '');
    out.push(
      `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${fmt(r.miso)} | ${range(r.misoMin, r.misoMax)} | ${fmt(r.peer)} | ${range(r.peerMin, r.peerMax)} | ${r.unit} | ${tool} | ${c.ratio === null ? '—' : `${c.ratio.toFixed(2)} (${c.words})`} | ${goalCell(r)} |`,
    );
  }
  return out;
}

export function renderResults({ machine, mode, startedAt, durationS, broker, suites, chart, latency, runs, machineNote, quiet, command }) {
  const lines = [];
  if (mode === 'quick') {
    lines.push(
      '# Benchmark results — QUICK RUN, NOT QUOTABLE',
      '',
      '> Written by `--quick` (short phases, small backlogs) to check the harness. Its figures are not',
      '> comparable with a full run and must not be quoted; `bench/RESULTS.md` is written only by a full run.',
      '',
    );
  } else {
    lines.push('# Benchmark results', '');
  }
  const when = new Date(startedAt);
  lines.push(
    `**${mode === 'quick' ? 'Quick' : 'Full'} run** of \`${command}\`, started ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC, took ${Math.round(durationS / 60)} min, against ${broker}.`,
    '',
    `**Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}. **Quiet:** ${quiet ? 'yes' : '**no**'} — ${machineNote}`,
    `Load average (1 min) sampled every 10 s during the run: start ${machine.loadStart}, min ${machine.loadMin}, median ${machine.loadMedian}, max ${machine.loadMax}, end ${machine.loadEnd}.`,
    '',
    `Every peer ran in the same run against the same broker. Each figure with a peer is the **median of ${runs} runs**, the order alternated (miso first in run 1, the peer first in run 2, …), with the **min–max** of the runs beside it; a run with too few samples after its warm-up fails instead of being averaged. "miso / peer" divides the medians; the words say which way is better for the unit.`,
    '',
    '| | |',
    '| --- | --- |',
    `| Node | ${machine.node} |`,
    `| Java | ${machine.java} |`,
    `| Pulsar | ${machine.pulsar} |`,
    `| Python pulsar-client | ${machine.pythonClient} |`,
    '',
  );
  for (const s of suites) {
    lines.push(`## ${s.title}`, '', s.about, '');
    if (s.error) {
      lines.push(`**Did not complete:** ${s.error}`, '');
      continue;
    }
    lines.push(...table(s.rows, s.peerTool));
    lines.push('', `Took ${Math.round(s.seconds)} s.`, '');
  }
  if (chart) {
    lines.push('## Workflow latency distribution', '');
    lines.push(
      `${latency.samples.length} workflows at ${latency.rate}/s through the four services as separate processes (tracking command sent → payment.processed read back), after a warm-up; ${latency.unfinished} unfinished.`,
      '',
    );
    lines.push(`![workflow latency histogram](${chart})`, '');
  }
  lines.push(
    '## Reproduce',
    '',
    '```',
    `${command}   # this run`,
    'npm run bench                                   # full run: the only one that writes this file',
    'npm run bench -- --own-broker                   # on a broker of its own even when one answers',
    'npm run bench -- --machine-note "idle machine"  # say what else ran on the machine',
    'npm run bench -- --quick                        # harness check; writes bench/out/RESULTS-quick.md, not quotable',
    'npm run bench -- --only client,devtools         # some suites (a partial full run: bench/out/)',
    '```',
    '',
  );
  return lines.join('\n');
}
