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
