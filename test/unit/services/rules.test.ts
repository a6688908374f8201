import { describe, expect, it } from 'vitest';
import { calculateCommission, DEFAULT_PLAN, validatePlan } from '../../../src/services/commission/rules.js';

describe('commission rules', () => {
  it('pays the default flat amounts for views and clicks', () => {
    expect(calculateCommission('view', undefined)).toEqual({ amountCents: 1, rule: 'default.view', rateBps: undefined, explanation: 'flat 1' });
    expect(calculateCommission('click', undefined).amountCents).toBe(25);
  });

  it('pays a share of the sale for a conversion, rounded half up to the cent', () => {
    expect(calculateCommission('conversion', 4999)).toMatchObject({ amountCents: 500, rule: 'default.conversion', rateBps: 1000 });
    expect(calculateCommission('conversion', 4994).amountCents).toBe(499); // 499.4 → 499
    expect(calculateCommission('conversion', 4995).amountCents).toBe(500); // 499.5 → 500
  });

  it('applies the minimum of a percentage rule', () => {
    const q = calculateCommission('conversion', 100);
    expect(q.amountCents).toBe(DEFAULT_PLAN.conversion.kind === 'percent' ? DEFAULT_PLAN.conversion.minCents : -1);
    expect(q.explanation).toContain('(min 50)');
  });

  it('prefers the campaign plan and falls back to defaults for types it leaves out', () => {
    const plan = { click: { kind: 'flat', amountCents: 40 } as const, conversion: { kind: 'percent', basisPoints: 2500, maxCents: 1000 } as const };
    expect(calculateCommission('click', undefined, plan)).toMatchObject({ amountCents: 40, rule: 'campaign.click' });
    expect(calculateCommission('view', undefined, plan)).toMatchObject({ amountCents: 1, rule: 'default.view' });
    expect(calculateCommission('conversion', 2000, plan)).toMatchObject({ amountCents: 500, rateBps: 2500 });
    expect(calculateCommission('conversion', 1_000_000, plan)).toMatchObject({ amountCents: 1000, explanation: '2500 bps of 1000000 (max 1000)' });
  });

  it('keeps precision on very large sale amounts', () => {
    // 9e15 * 1000 overflows a double's exact range; BigInt keeps the cents exact.
    expect(calculateCommission('conversion', 9_000_000_000_000_001).amountCents).toBe(900_000_000_000_000);
  });

  it('validates plans given by users, naming the field', () => {
    expect(validatePlan({ click: { kind: 'flat', amountCents: 10 } })).toEqual([]);
    expect(validatePlan({ clik: { kind: 'flat', amountCents: 10 } })[0]).toMatchObject({ path: 'clik' });
    expect(validatePlan({ click: { kind: 'flat', amountCents: 1.5 } })[0]).toMatchObject({ path: 'click.amountCents' });
    expect(validatePlan({ conversion: { kind: 'percent', basisPoints: 20000 } })[0]).toMatchObject({ path: 'conversion.basisPoints' });
    expect(validatePlan({ conversion: { kind: 'percent', basisPoints: 100, minCents: 9, maxCents: 5 } })[0]).toMatchObject({ path: 'conversion.minCents' });
    expect(validatePlan({ view: { kind: 'bonus' } })[0]).toMatchObject({ path: 'view.kind' });
    expect(validatePlan([])).toHaveLength(1);
  });
});
