/**
 * `miso init` and `miso doctor` as text: their steps through the one checklist renderer,
 * and the closing line of each.
 */
import type { ChalkInstance } from 'chalk';
import type { DoctorCheck, DoctorReport } from '../../core/doctor.js';
import { initTopicShortNames, type InitReport, type InitStep } from '../../core/init.js';
import { Checklist, columnWidth, type ChecklistItem } from './checklist.js';

/** The checklist for init's steps, its name column as wide as the longest step name. */
export function initChecklist(scope: { tenant: string; namespace: string }, color: ChalkInstance): Checklist {
  return new Checklist(color, columnWidth([`namespace ${scope.tenant}/${scope.namespace}`, ...initTopicShortNames().map((t) => `topic ${t}`)]));
}

export function initItem(step: InitStep): ChecklistItem {
  return { name: step.name, status: step.status, detail: step.detail, hint: step.hint };
}

/** "12 created, 7 already there, 0 updated" (and the failures, in red). */
export function initCounts(report: InitReport, color: ChalkInstance): string {
  const n = report.counts;
  return `${n.created} created, ${n.exists} already there, ${n.updated} updated${n.failed ? `, ${color.red(`${n.failed} failed`)}` : ''}`;
}

export function initSummary(report: InitReport, color: ChalkInstance): string {
  const { created, updated, exists } = report.counts;
  return `${color.green('Ready:')} ${report.tenant}/${report.namespace} on ${report.adminUrl} — ${created} created, ${updated} updated, ${exists} already in place.`;
}

/** Doctor's names are short labels ("admin API", "schema payment-events"). */
const DOCTOR_WIDTH = 28;

export function doctorChecklist(color: ChalkInstance): Checklist {
  return new Checklist(color, DOCTOR_WIDTH);
}

export function doctorItem(check: DoctorCheck): ChecklistItem {
  const status = check.status === 'fail' ? 'failed' : check.status === 'skip' ? 'skipped' : check.status;
  return { name: check.name, status, detail: check.detail, hint: check.hint };
}

export function doctorSummary(report: DoctorReport, color: ChalkInstance): string {
  const { ok, warn } = report.counts;
  return `${color.green('All good:')} ${ok} ok, ${warn} warning(s).`;
}
