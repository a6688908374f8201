/**
 * The fault suite. In `npm test` it runs the bounded plan (one kill -9 of each service, one
 * broker restart, one SIGSTOP); `npm run test:faults` (MISO_FAULTS_FULL=1) runs the full plan:
 * several kills per service, two broker restarts and a pause past the broker's keep-alive.
 * Report: test-output/faults-<plan>.{json,md}.
 */
import { describe, expect, it } from 'vitest';
import { writeReport } from '../hostile/report.js';
import { BOUNDED_PLAN, FULL_PLAN, recoveryBudgetMs, renderFaultReport, runFaults, SERVICES, type FaultReport } from './scenario.js';

const full = process.env.MISO_FAULTS_FULL === '1';
const plan = full ? FULL_PLAN : BOUNDED_PLAN;

describe(`fault suite (${plan.name})`, () => {
  let report: FaultReport;

  it(
    'keeps the books straight through kill -9, a broker restart and SIGSTOP',
    async () => {
      report = await runFaults(plan);
      writeReport(`faults-${plan.name}`, report, renderFaultReport(report));
      process.stderr.write(renderFaultReport(report) + '\n');

      // The faults really happened.
      for (const s of SERVICES) expect(report.counts.kills[s], `kills of ${s}`).toBe(plan.killsPerService);
      for (const s of SERVICES) expect(report.counts.restarts[s], `restarts of ${s}`).toBe(plan.killsPerService);
      expect(report.counts.brokerRestarts).toBe(plan.brokerRestarts);
      expect(report.counts.pauses).toBe(plan.pausesMs.length);
      expect(report.workflows.accepted).toBe(report.workflows.sent);
      expect(report.workflows.tracking).toBeGreaterThan(100);

      // Exactly once: every accepted tracking event has one commission and one payout.
      const b = report.books;
      for (const [name, l] of Object.entries({
        trackingEvents: b.trackingEvents,
        commissions: b.commissions,
        paymentEvents: b.paymentEvents,
        paymentRows: b.paymentRows,
        payouts: b.payouts,
        campaigns: b.campaigns,
      })) {
        expect(l.lost, `${name} lost`).toEqual([]);
        expect(l.duplicateKeys, `${name} duplicated`).toEqual([]);
        expect(l.unexpected, `${name} unexpected`).toBe(0);
        expect(l.made, `${name} made`).toBe(l.expected);
      }
      expect(report.payments).toEqual({ expected: report.workflows.tracking, made: report.workflows.tracking, duplicates: 0, lost: 0 });
      expect(b.rejections).toBe(0);

      // Nothing left unacknowledged; the only dead letters are the injected poison, each explained.
      for (const bl of report.backlogs) expect({ ...bl }, `${bl.topic}/${bl.subscription}`).toEqual({ ...bl, backlog: 0, unacked: 0 });
      expect(report.deadLetters.total).toBe(report.deadLetters.injected);
      expect(report.deadLetters.explained).toBe(report.deadLetters.total);
      for (const d of report.deadLetters.items) expect(d.reason).toMatch(/decode|catalog|payload/i);

      // No service died except by our hand, and each fault was recovered from.
      expect(report.unexpectedExits).toEqual([]);
      for (const f of report.faults) {
        expect(f.recoverMs, `${f.kind} ${f.target} recovered`).toBeTypeOf('number');
        // The recovery budget docs/reliability.md promises, not only a number in the report.
        expect(f.budgetMs).toBe(recoveryBudgetMs(plan, f.affected));
        expect(
          f.recoverMs,
          `${f.kind} ${f.target} at ${(f.at / 1000).toFixed(1)} s, ${f.affected} workflows held up: recovery within the budget`,
        ).toBeLessThanOrEqual(f.budgetMs!);
      }
      // The kills landed between a commit and its acknowledgement: the restarted services were
      // handed messages they had already handled, and recognised them (processed-message log).
      expect(report.redeliveredAfterKills, 'redeliveries recognised after kill -9').toBeGreaterThan(0);
      expect(report.redeliveriesRecognised).toBeGreaterThanOrEqual(report.redeliveredAfterKills);
      // A pause past the broker's keep-alive (2 × 30 s) makes the broker drop the frozen client
      // and deliver its messages again: the case the services must survive without doubles.
      for (const f of report.faults.filter((x) => x.kind === 'SIGSTOP/SIGCONT' && x.downMs >= 62_000)) {
        expect(f.brokerDroppedConnection, `${f.target} frozen ${f.downMs} ms`).toBe(true);
      }
    },
    full ? 3_600_000 : 600_000,
  );
});
