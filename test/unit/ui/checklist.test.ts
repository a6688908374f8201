import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { Checklist, columnWidth } from '../../../src/ui/render/checklist.js';
import { doctorItem, initCounts, initItem, initSummary, doctorSummary } from '../../../src/ui/render/admin.js';
import type { InitReport } from '../../../src/core/init.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });
const strip = (s: string) => s.replace(/\x1b\[\d+m/g, '');

describe('checklist renderer (init and doctor)', () => {
  it('renders one line per step: mark, padded name, what happened', () => {
    const list = new Checklist(plain, 12);
    expect(list.lines({ name: 'admin API', status: 'ok', detail: 'http://127.0.0.1:8080 answers' })).toEqual(['✔ admin API     http://127.0.0.1:8080 answers']);
    expect(list.lines({ name: 'tenant t', status: 'created', detail: 'allowed on standalone' })).toEqual(['✔ tenant t      created (allowed on standalone)']);
    expect(list.lines({ name: 'topic a', status: 'exists' })).toEqual(['· topic a       exists']);
    expect(list.lines({ name: 'retention', status: 'updated', detail: '90 min (was 7 d)' })).toEqual(['↻ retention     updated (90 min (was 7 d))']);
    expect(list.lines({ name: 'topics', status: 'skipped', detail: 'namespace t/ns does not exist' })).toEqual([
      '- topics        skipped: namespace t/ns does not exist',
    ]);
  });

  it('puts the next step under a failure or a warning, aligned with the text column', () => {
    const list = new Checklist(plain, 8);
    expect(list.lines({ name: 'tenant', status: 'failed', detail: 'tenant x does not exist', hint: 'Run `miso init` to create it.' })).toEqual([
      '✖ tenant    tenant x does not exist',
      '            → Run `miso init` to create it.',
    ]);
    expect(list.lines({ name: 'schema a', status: 'warn', detail: 'none registered yet', hint: 'Send a message first.' })).toEqual([
      '! schema a  none registered yet',
      '            → Send a message first.',
    ]);
    // An ok line keeps its hint to itself; a failure without detail still says it failed.
    expect(list.lines({ name: 'token', status: 'ok', detail: 'valid', hint: 'unused' })).toEqual(['✔ token     valid']);
    expect(list.lines({ name: 'x', status: 'failed' })).toEqual(['✖ x         failed']);
  });

  it('says the same hint once for consecutive lines, and again after a line with another', () => {
    const list = new Checklist(plain, 8);
    const warn = (name: string, hint: string) => list.lines({ name, status: 'warn', detail: 'none', hint });
    expect(warn('schema a', 'same')).toHaveLength(2);
    expect(warn('schema b', 'same')).toHaveLength(1);
    expect(warn('topics', 'other')).toHaveLength(2);
    expect(warn('schema c', 'same')).toHaveLength(2);
  });

  it('colours marks and text only when asked; the words are the same', () => {
    const item = { name: 'tenant', status: 'failed', detail: 'gone', hint: 'fix it' } as const;
    const coloured = new Checklist(colour, 8).lines(item);
    const flat = new Checklist(plain, 8).lines(item);
    expect(flat.join('\n')).not.toMatch(/\x1b\[/);
    expect(coloured[0]).toContain('\x1b[31m✖\x1b[39m'); // red mark
    expect(coloured[0]).toContain('\x1b[31mgone\x1b[39m'); // red detail
    expect(coloured[1]).toContain('\x1b[2m→ fix it\x1b[22m'); // dim hint
    expect(coloured.map(strip)).toEqual(flat);
    expect(new Checklist(colour, 8).lines({ name: 'a', status: 'ok', detail: 'fine' })[0]).toBe('\x1b[32m✔\x1b[39m a         fine');
    expect(new Checklist(colour, 8).lines({ name: 'a', status: 'warn', detail: 'hmm' })[0]).toBe('\x1b[33m!\x1b[39m a         hmm');
  });

  it('the column fits the longest name', () => {
    expect(columnWidth(['a', 'abcdef', 'abc'])).toBe(6);
    expect(columnWidth(['a'], 28)).toBe(28);
  });

  it('maps doctor checks and init steps onto the same statuses', () => {
    expect(doctorItem({ name: 'tenant', status: 'fail', detail: 'missing', hint: 'h' })).toEqual({
      name: 'tenant',
      status: 'failed',
      detail: 'missing',
      hint: 'h',
    });
    expect(doctorItem({ name: 'tls', status: 'skip', detail: 'plain TCP' }).status).toBe('skipped');
    expect(doctorItem({ name: 'config', status: 'warn', detail: 'x' }).status).toBe('warn');
    expect(initItem({ name: 'topic a', status: 'exists', httpStatus: 200 })).toEqual({ name: 'topic a', status: 'exists', detail: undefined, hint: undefined });
  });

  it('closes init and doctor with a summary line', () => {
    const report = {
      ok: true,
      adminUrl: 'http://127.0.0.1:8080',
      tenant: 't',
      namespace: 'ns',
      clusters: [],
      topics: [],
      steps: [],
      counts: { created: 2, exists: 17, updated: 0, skipped: 0, failed: 0 },
    } satisfies InitReport;
    expect(initSummary(report, plain)).toBe('Ready: t/ns on http://127.0.0.1:8080 — 2 created, 0 updated, 17 already in place.');
    expect(initCounts({ ...report, counts: { ...report.counts, failed: 1 } }, plain)).toBe('2 created, 17 already there, 0 updated, 1 failed');
    expect(doctorSummary({ ok: true, checks: [], counts: { ok: 12, warn: 3, fail: 0, skip: 1 } }, plain)).toBe('All good: 12 ok, 3 warning(s).');
  });
});
