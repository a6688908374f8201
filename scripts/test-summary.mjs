// Prints the one line CI reads, taken from vitest's own JSON report.
import { readFileSync } from 'node:fs';

try {
  const r = JSON.parse(readFileSync(new URL('../test-results.json', import.meta.url), 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (skipped) console.log(`(${skipped} skipped)`);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
} catch (err) {
  console.log(`0 passed, 1 failed`);
  console.error(`no test report (test-results.json): ${err.message}`);
}
