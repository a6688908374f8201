import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PayoutRefusedError, PayoutUnavailableError, SimulatedPayoutProvider } from '../../../src/services/payment/provider.js';

const req = (key: string, amountCents = 500) => ({ idempotencyKey: key, amountCents, currency: 'USD', payee: 'user-1' });

describe('simulated payout provider', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('pays once per idempotency key and returns the first payout on a repeat', async () => {
    const p = new SimulatedPayoutProvider({ file: ':memory:' });
    const first = await p.payout(req('k1'));
    const again = await p.payout(req('k1'));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.reference).toBe(first.reference);
    await p.payout(req('k2', 700));
    expect(p.ledger()).toEqual({ count: 2, totalCents: 1200 });
    expect(p.calls).toBe(3);
  });

  it('fails the next N calls, alternating "unavailable" and "answer lost" (which did pay)', async () => {
    const p = new SimulatedPayoutProvider({ file: ':memory:', failNext: 2 });
    await expect(p.payout(req('k'))).rejects.toBeInstanceOf(PayoutUnavailableError);
    expect(p.ledger().count).toBe(0);
    await expect(p.payout(req('k'))).rejects.toThrow(/after accepting/);
    expect(p.ledger().count).toBe(1); // paid, but the caller was not told
    const third = await p.payout(req('k'));
    expect(third.created).toBe(false); // the retry finds the payout made by the lost answer
    expect(p.ledger().count).toBe(1);
  });

  it('fails at the configured rate', async () => {
    const rolls = [0.1, 0.9, 0.2];
    const p = new SimulatedPayoutProvider({ file: ':memory:', failureRate: 0.3, random: () => rolls.shift() ?? 0.99 });
    await expect(p.payout(req('a'))).rejects.toBeInstanceOf(PayoutUnavailableError);
    await expect(p.payout(req('b'))).resolves.toMatchObject({ created: true });
    await expect(p.payout(req('c'))).rejects.toBeInstanceOf(PayoutUnavailableError);
  });

  it('refuses for good a payout above its limit', async () => {
    const p = new SimulatedPayoutProvider({ file: ':memory:', maxPayoutCents: 1000 });
    await expect(p.payout(req('big', 1001))).rejects.toBeInstanceOf(PayoutRefusedError);
  });

  it('keeps its books across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miso-provider-'));
    dirs.push(dir);
    const file = join(dir, 'ledger.db');
    const a = new SimulatedPayoutProvider({ file });
    const paid = await a.payout(req('k'));
    a.close();
    const b = new SimulatedPayoutProvider({ file });
    expect(b.lookup('k')?.reference).toBe(paid.reference);
    expect((await b.payout(req('k'))).created).toBe(false);
    b.close();
  });
});
