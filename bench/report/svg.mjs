/**
 * A histogram of workflow latencies as a self-contained SVG: bars per millisecond bucket (wider
 * buckets when the range is large), the percentiles marked, axes labelled. No dependencies.
 */
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function latencyHistogramSvg(samples, { title = 'Workflow latency', subtitle = '' } = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  const W = 760;
  const H = 360;
  const m = { left: 60, right: 20, top: 56, bottom: 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  if (sorted.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="40" font-family="sans-serif">${esc(title)}: no samples</text></svg>\n`;
  }
  // The x range ends at p99.9 (rounded up) so a few stragglers do not squash the shape; they are counted in the last bar.
  const hi = Math.max(1, Math.ceil(percentile(sorted, 99.9)));
  const niceSteps = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  const width = niceSteps.find((s) => hi / s <= 60) ?? Math.ceil(hi / 60);
  const buckets = Math.ceil(hi / width);
  const counts = new Array(buckets).fill(0);
  for (const v of sorted) counts[Math.min(buckets - 1, Math.floor(v / width))]++;
  const maxCount = Math.max(...counts);
  const x = (v) => m.left + (v / (buckets * width)) * pw;
  const y = (c) => m.top + ph - (c / maxCount) * ph;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) parts.push(`<text x="${m.left}" y="40" fill="#555">${esc(subtitle)}</text>`);
  counts.forEach((c, i) => {
    if (c === 0) return;
    const x0 = x(i * width);
    const bw = Math.max(1, x((i + 1) * width) - x0 - 1);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${y(c).toFixed(1)}" width="${bw.toFixed(1)}" height="${(m.top + ph - y(c)).toFixed(1)}" fill="#4a7ebb"><title>${esc(`${(i * width).toFixed(1)}–${((i + 1) * width).toFixed(1)} ms: ${c}`)}</title></rect>`,
    );
  });
  // Axes.
  parts.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`);
  const ticks = 10;
  for (let i = 0; i <= ticks; i++) {
    const v = (buckets * width * i) / ticks;
    parts.push(`<line x1="${x(v).toFixed(1)}" y1="${m.top + ph}" x2="${x(v).toFixed(1)}" y2="${m.top + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x(v).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${v >= 10 ? Math.round(v) : v.toFixed(1)}</text>`);
  }
  parts.push(
    `<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle">latency, ms (tracking command sent → payment.processed read); last bar includes everything above</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const c = Math.round((maxCount * i) / 4);
    parts.push(`<text x="${m.left - 6}" y="${(y(c) + 4).toFixed(1)}" text-anchor="end">${c}</text>`);
  }
  parts.push(`<text x="14" y="${m.top + ph / 2}" transform="rotate(-90 14 ${m.top + ph / 2})" text-anchor="middle">workflows</text>`);
  // Percentile markers.
  const marks = [
    ['p50', 50, '#2a9d3a'],
    ['p90', 90, '#d08a00'],
    ['p99', 99, '#c0392b'],
  ];
  marks.forEach(([label, p, color], i) => {
    const v = percentile(sorted, p);
    const vx = x(Math.min(v, buckets * width));
    parts.push(`<line x1="${vx.toFixed(1)}" y1="${m.top}" x2="${vx.toFixed(1)}" y2="${m.top + ph}" stroke="${color}" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${(vx + 4).toFixed(1)}" y="${m.top + 12 + i * 14}" fill="${color}">${label} ${v.toFixed(1)} ms</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
