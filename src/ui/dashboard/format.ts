/** Small text helpers shared by the dashboard panels. Pure. */

const SPARK = '▁▂▃▄▅▆▇█';

/** One character per value, scaled to the largest value in the series; zero is a blank-ish bar. */
export function sparkline(values: readonly number[], width = values.length): string {
  const vs = values.slice(Math.max(0, values.length - width));
  const max = Math.max(0, ...vs);
  let out = '';
  for (const v of vs) {
    if (max === 0 || v <= 0) out += ' ';
    else out += SPARK[Math.min(SPARK.length - 1, Math.floor((v / max) * (SPARK.length - 1) + 0.5))] ?? ' ';
  }
  return out.padStart(width, ' ');
}

/** The first 8 characters of a correlation id: enough to tell workflows apart on screen. */
export function shortId(id: string, n = 8): string {
  return id.length <= n ? id : id.slice(0, n);
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** 850ms, 1.2s, 3m04s, 2h05m. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 0, 12, 3.4k, 1.2M. */
export function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** A rate with one decimal under 10/s. */
export function rate(r: number): string {
  if (r <= 0) return '0';
  if (r < 10) return r.toFixed(1);
  return count(r);
}

/** Cut to `width` columns with an ellipsis; pad when `pad`. */
export function fit(text: string, width: number, pad = false): string {
  if (width <= 0) return '';
  const t = text.length > width ? (width > 1 ? text.slice(0, width - 1) + '…' : text.slice(0, width)) : text;
  return pad ? t.padEnd(width, ' ') : t;
}
