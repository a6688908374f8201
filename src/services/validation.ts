import type { FieldProblem } from './host/definition.js';

/** Field checks shared by the services' handlers. Each returns problems instead of throwing. */

export function requireText(problems: FieldProblem[], path: string, value: unknown, max = 200): void {
  if (typeof value !== 'string' || value.trim() === '') problems.push({ path, message: 'must not be empty' });
  else if (value.length > max) problems.push({ path, message: `must be at most ${max} characters` });
}

export function requireCurrency(problems: FieldProblem[], path: string, value: unknown): void {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) problems.push({ path, message: 'must be an ISO 4217 code such as USD' });
}

export function requireHttpUrl(problems: FieldProblem[], path: string, value: unknown): void {
  let ok = false;
  if (typeof value === 'string') {
    try {
      const u = new URL(value);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      ok = false;
    }
  }
  if (!ok) problems.push({ path, message: 'must be an absolute http or https URL' });
}

export function requireMinor(problems: FieldProblem[], path: string, value: unknown, opts: { positive?: boolean } = {}): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (opts.positive && value === 0)) {
    problems.push({ path, message: opts.positive ? 'must be a positive whole number of minor units' : 'must be a whole number of minor units ≥ 0' });
  }
}

/**
 * The tracking rule both tracking and commission check: a view, click or conversion, and a
 * conversion carries its sale amount. `strict` also refuses a sale amount on a view or click
 * (tracking, where events enter the system); commission only needs the amount when it counts.
 */
export function requireTrackedEvent(
  problems: FieldProblem[],
  p: { event_type: string; sale_amount_minor?: number | null },
  opts: { strict?: boolean } = {},
): void {
  if (!['view', 'click', 'conversion'].includes(p.event_type)) problems.push({ path: 'event_type', message: 'must be view, click or conversion' });
  if (p.event_type === 'conversion') {
    if (p.sale_amount_minor == null) problems.push({ path: 'sale_amount_minor', message: 'a conversion needs the sale amount' });
    else requireMinor(problems, 'sale_amount_minor', p.sale_amount_minor, { positive: true });
  } else if (opts.strict && p.sale_amount_minor != null) {
    problems.push({ path: 'sale_amount_minor', message: `only a conversion carries a sale amount, not a ${p.event_type}` });
  }
}
