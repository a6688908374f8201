/**
 * Writes what vitest's JSON report leaves out: errors raised outside any test (a crash in a
 * socket handler, a rejected promise nobody awaited) and how the run ended. The JSON report
 * counts such a run as all green; scripts/test-summary.mjs reads this file beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

type EndReason = 'passed' | 'failed' | 'interrupted';

export default class OutcomeReporter implements Reporter {
  constructor(private readonly opts: { outputFile: string }) {}

  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<{ name?: string; message?: string; stack?: string }>,
    reason: EndReason,
  ): void {
    const file = resolve(this.opts.outputFile);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(
        {
          reason,
          unhandledErrors: unhandledErrors.map((e) => ({
            name: e.name ?? 'Error',
            message: e.message ?? String(e),
            stack: e.stack?.split('\n').slice(0, 6).join('\n'),
          })),
        },
        null,
        2,
      ),
    );
  }
}
