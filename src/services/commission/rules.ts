/**
 * Commission rules: what one tracking event earns, in integer minor units (cents).
 *
 * A plan has one rule per event type. A rule is either a flat amount (views, clicks) or a
 * share of the sale in basis points (conversions: 1000 bps = 10 %), optionally bounded by a
 * minimum and a maximum. A campaign may have its own plan; any event type it leaves out falls
 * back to the default plan. Pure: no I/O.
 */

export const TRACKING_EVENT_TYPES = ['view', 'click', 'conversion'] as const;
export type TrackingEventType = (typeof TRACKING_EVENT_TYPES)[number];

export type CommissionRule = { kind: 'flat'; amountCents: number } | { kind: 'percent'; basisPoints: number; minCents?: number; maxCents?: number };

export type CommissionPlan = Partial<Record<TrackingEventType, CommissionRule>>;

/** The defaults: a view earns 1 cent, a click 25 cents, a conversion 10 % of the sale (at least 50 cents). */
export const DEFAULT_PLAN: Required<CommissionPlan> = {
  view: { kind: 'flat', amountCents: 1 },
  click: { kind: 'flat', amountCents: 25 },
  conversion: { kind: 'percent', basisPoints: 1000, minCents: 50 },
};

export interface CommissionQuote {
  amountCents: number;
  /** Name of the rule applied: where it came from and the event type, e.g. "default.click", "campaign.conversion". */
  rule: string;
  /** Basis points applied to the sale amount, for percentage rules. */
  rateBps: number | undefined;
  /** How the amount came about, for people: "flat 25", "1000 bps of 4999 (min 50)". */
  explanation: string;
}

/** The rule for one event type: the campaign's own if it has one, else the default. */
export function ruleFor(eventType: TrackingEventType, campaignPlan: CommissionPlan | undefined): { rule: CommissionRule; source: 'campaign' | 'default' } {
  const own = campaignPlan?.[eventType];
  return own ? { rule: own, source: 'campaign' } : { rule: DEFAULT_PLAN[eventType], source: 'default' };
}

/**
 * The commission for one event. Percentages round half up to the cent, computed with BigInt
 * so large sale amounts never lose precision.
 */
export function calculateCommission(eventType: TrackingEventType, saleAmountCents: number | undefined, campaignPlan?: CommissionPlan): CommissionQuote {
  const { rule, source } = ruleFor(eventType, campaignPlan);
  const name = `${source}.${eventType}`;
  if (rule.kind === 'flat') return { amountCents: rule.amountCents, rule: name, rateBps: undefined, explanation: `flat ${rule.amountCents}` };
  const sale = saleAmountCents ?? 0;
  let amount = Number((BigInt(sale) * BigInt(rule.basisPoints) + 5000n) / 10000n);
  let text = `${rule.basisPoints} bps of ${sale}`;
  if (rule.minCents !== undefined && amount < rule.minCents) {
    amount = rule.minCents;
    text += ` (min ${rule.minCents})`;
  }
  if (rule.maxCents !== undefined && amount > rule.maxCents) {
    amount = rule.maxCents;
    text += ` (max ${rule.maxCents})`;
  }
  return { amountCents: amount, rule: name, rateBps: rule.basisPoints, explanation: text };
}

/** Problems with a plan given by a user (flag file or HTTP body): field path and what is wrong. */
export function validatePlan(value: unknown): { path: string; problem: string }[] {
  const problems: { path: string; problem: string }[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ path: '', problem: 'must be an object with view/click/conversion rules' }];
  for (const [k, r] of Object.entries(value)) {
    if (!(TRACKING_EVENT_TYPES as readonly string[]).includes(k)) {
      problems.push({ path: k, problem: `unknown event type (expected ${TRACKING_EVENT_TYPES.join(', ')})` });
      continue;
    }
    const rule = r as Record<string, unknown>;
    if (typeof rule !== 'object' || rule === null) {
      problems.push({ path: k, problem: 'must be an object' });
    } else if (rule.kind === 'flat') {
      if (!isCents(rule.amountCents)) problems.push({ path: `${k}.amountCents`, problem: 'must be a whole number of cents ≥ 0' });
    } else if (rule.kind === 'percent') {
      if (!Number.isInteger(rule.basisPoints) || (rule.basisPoints as number) < 0 || (rule.basisPoints as number) > 10_000)
        problems.push({ path: `${k}.basisPoints`, problem: 'must be a whole number from 0 to 10000' });
      if (rule.minCents !== undefined && !isCents(rule.minCents)) problems.push({ path: `${k}.minCents`, problem: 'must be a whole number of cents ≥ 0' });
      if (rule.maxCents !== undefined && !isCents(rule.maxCents)) problems.push({ path: `${k}.maxCents`, problem: 'must be a whole number of cents ≥ 0' });
      if (isCents(rule.minCents) && isCents(rule.maxCents) && (rule.minCents as number) > (rule.maxCents as number))
        problems.push({ path: `${k}.minCents`, problem: 'must not exceed maxCents' });
    } else {
      problems.push({ path: `${k}.kind`, problem: 'must be "flat" or "percent"' });
    }
  }
  return problems;
}

function isCents(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
