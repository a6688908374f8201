// Prints the one line CI reads, `N passed, N failed`, from vitest's own reports, and never
// `0 failed` over a run that failed. Counted as failures besides failed tests:
//   - a test file that failed without a failed test: its import threw (no test is collected)
//     or a beforeAll/afterAll hook threw (vitest marks the tests under it skipped);
//   - every error raised outside a test (test-outcome.json, written by
//     test/support/outcome-reporter.ts; vitest's JSON report has no field for them);
//   - a run vitest itself calls failed, or a non-zero exit code (--exit-code N), that none of
//     the above explains;
//   - a missing or unreadable report.
// Usage: node scripts/test-summary.mjs [--dir <folder with the reports>] [--exit-code <n>]
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = arg('--dir') ?? root;
const exitCode = arg('--exit-code') === undefined ? 0 : Number(arg('--exit-code'));

const problems = [];
let passed = 0;
let failed = 0;

function read(name) {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch (err) {
    problems.push(`no usable ${name}: ${err.message}`);
    failed++;
    return undefined;
  }
}

const report = read('test-results.json');
if (report) {
  passed = Number(report.numPassedTests) || 0;
  failed += Number(report.numFailedTests) || 0;
  for (const file of report.testResults ?? []) {
    if (file.status !== 'failed') continue;
    const testFailed = (file.assertionResults ?? []).some((a) => a.status === 'failed');
    if (testFailed && !file.message) continue;
    failed++;
    const why = file.message || 'a hook (beforeAll/afterAll) failed; its tests did not run';
    problems.push(`file failed: ${relative(root, file.name)}: ${why.split('\n')[0]}`);
  }
  const skipped = (Number(report.numPendingTests) || 0) + (Number(report.numTodoTests) || 0);
  if (skipped) console.log(`(${skipped} skipped)`);
}

const outcome = read('test-outcome.json');
if (outcome) {
  for (const e of outcome.unhandledErrors ?? []) {
    failed++;
    problems.push(`unhandled error outside any test: ${e.name}: ${String(e.message).split('\n')[0]}`);
  }
  if (outcome.reason !== 'passed' && failed === 0) {
    failed++;
    problems.push(`vitest ended the run as "${outcome.reason}" with no failed test to show for it`);
  }
}

if (exitCode !== 0 && failed === 0) {
  failed++;
  problems.push(`the test command exited with ${exitCode} although every counted test passed`);
}

for (const p of problems) console.log(`[summary] ${p}`);
console.log(`${passed} passed, ${failed} failed`);
