/**
 * Output of `miso flow record` and `miso flow verify`: human lines, the --json document and
 * JUnit XML (one test case per flow, its failures listed) for CI systems.
 */
import type { ChalkInstance } from 'chalk';
import type { Flow } from '../../core/flow/format.js';
import type { FlowVerdict } from '../../core/flow/run.js';
import { ms } from './trace.js';

export interface VerifiedFile {
  file: string;
  verdict: FlowVerdict;
}

export function renderRecorded(flow: Flow, file: string, color: ChalkInstance): string[] {
  const roots = flow.roots.map((r) => r.node).join(', ');
  return [
    `${color.green('✔')} recorded ${color.bold(flow.name)}: ${flow.nodes.length} messages, ${flow.hops.length} hops, ${flow.roots.length} root${flow.roots.length === 1 ? '' : 's'} (${roots}) → ${file}`,
    color.dim(`  budgets: ${flow.budget ?? 'as recorded'}; verify with \`miso flow verify ${file}\``),
  ];
}

/** The lines of one verified flow (printed as soon as it is done). */
export function renderVerdict({ file, verdict: v }: VerifiedFile, color: ChalkInstance, width = v.name.length): string[] {
  const mark = v.ok ? color.green('✔') : color.red('✘');
  const detail = `${v.matched}/${v.expected} messages · slowest hop ${ms(v.slowestMs)} · ${ms(v.durationMs)}`;
  const lines = [`${mark} ${v.name.padEnd(width)}  ${color.dim(detail)}  ${color.dim(file)}`];
  for (const f of v.failures) lines.push(`    ${color.red('✘')} ${f.message}`);
  if (!v.ok) lines.push(color.dim(`    see the run: miso trace ${v.correlationId}`));
  return lines;
}

export function renderVerifySummary(results: readonly VerifiedFile[]): string {
  const failed = results.filter((r) => !r.verdict.ok).length;
  return `${results.length} flow${results.length === 1 ? '' : 's'}: ${results.length - failed} passed, ${failed} failed`;
}

export function renderVerify(results: readonly VerifiedFile[], color: ChalkInstance): string[] {
  const width = Math.max(...results.map((r) => r.verdict.name.length));
  return [...results.flatMap((r) => renderVerdict(r, color, width)), renderVerifySummary(results)];
}

export function verifyJson(results: readonly VerifiedFile[]): unknown {
  return {
    ok: results.every((r) => r.verdict.ok),
    flows: results.map(({ file, verdict: v }) => ({
      file,
      name: v.name,
      ok: v.ok,
      correlation_id: v.correlationId,
      expected: v.expected,
      matched: v.matched,
      duration_ms: v.durationMs,
      slowest_hop_ms: v.slowestMs,
      failures: v.failures,
    })),
  };
}

function xml(text: string): string {
  return (
    text
      .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
      // Characters XML 1.0 does not allow at all.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

/** JUnit XML: one <testcase> per flow; a failing flow has one <failure> listing every failure. */
export function junitXml(results: readonly VerifiedFile[]): string {
  const failed = results.filter((r) => !r.verdict.ok).length;
  const total = results.reduce((s, r) => s + r.verdict.durationMs, 0) / 1000;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="miso flow verify" tests="${results.length}" failures="${failed}" time="${total.toFixed(3)}">`,
    `  <testsuite name="flows" tests="${results.length}" failures="${failed}" errors="0" skipped="0" time="${total.toFixed(3)}">`,
  ];
  for (const { file, verdict: v } of results) {
    const head = `    <testcase classname="flows" name="${xml(v.name)}" file="${xml(file)}" time="${(v.durationMs / 1000).toFixed(3)}"`;
    if (v.ok) {
      out.push(`${head}/>`);
      continue;
    }
    const first = v.failures[0]?.message ?? 'failed';
    const summary = v.failures.length > 1 ? `${first} (and ${v.failures.length - 1} more)` : first;
    out.push(`${head}>`);
    out.push(
      `      <failure message="${xml(summary)}" type="${xml(v.failures[0]?.kind ?? 'failure')}">${xml([...v.failures.map((f) => f.message), `workflow ${v.correlationId}`].join('\n'))}</failure>`,
    );
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
