import { describe, expect, it } from 'vitest';
import { INITIAL_UI, reduceKey, selectedIndex, type KeyContext, type KeyFlags, type UiState } from '../../../src/ui/dashboard/keys.js';

const ctx: KeyContext = {
  workflows: [{ correlationId: 'a' }, { correlationId: 'b' }, { correlationId: 'c' }],
  feed: [{ correlationId: 'c' }, { correlationId: 'c' }, { correlationId: 'b' }],
  feedTotal: 42,
};

/** Apply keys one after another, as fast as they come: each sees the previous one's effect. */
function keys(...presses: (string | [string, KeyFlags])[]): UiState | 'quit' {
  let s: UiState | 'quit' = INITIAL_UI;
  for (const p of presses) {
    if (s === 'quit') break;
    const [input, flags] = typeof p === 'string' ? [p, {}] : p;
    s = reduceKey(s, input, flags, ctx);
  }
  return s;
}

describe('reduceKey', () => {
  it('moves the selection with j/k and arrows, within the list', () => {
    expect(keys('j', 'j')).toMatchObject({ workflow: { index: 2, id: 'c' } });
    expect(keys('j', 'j', 'j', ['', { downArrow: true }])).toMatchObject({ workflow: { index: 2, id: 'c' } });
    expect(keys('j', ['', { upArrow: true }], 'k')).toMatchObject({ workflow: { index: 0, id: 'a' } });
  });

  it('opens the selected workflow with Enter and returns with Esc', () => {
    expect(keys('j', ['\r', { return: true }])).toMatchObject({ view: 'trace', openId: 'b', traceScroll: 0 });
    expect(keys('j', ['\r', { return: true }], 'j', 'j', 'k')).toMatchObject({ view: 'trace', traceScroll: 1 });
    expect(keys('j', ['\r', { return: true }], ['', { escape: true }])).toMatchObject({ view: 'main', workflow: { id: 'b' } });
  });

  it('types into the filter, where q is a letter, and Esc clears it', () => {
    expect(keys('/', 'q', 'x', ['', { backspace: true }])).toMatchObject({ editingFilter: true, filterText: 'q' });
    expect(keys('/', 't', 'y', ['\r', { return: true }])).toMatchObject({ editingFilter: false, filterText: 'ty' });
    expect(keys('/', 't', ['\r', { return: true }], ['', { escape: true }])).toMatchObject({ filterText: '' });
    expect(keys('/', 'a', ['', { escape: true }])).toMatchObject({ editingFilter: false, filterText: '' });
  });

  it('pauses at the current feed total and resumes', () => {
    expect(keys('p')).toMatchObject({ pausedAt: 42 });
    expect(keys('p', 'p')).toMatchObject({ pausedAt: undefined });
  });

  it('cycles panels with Tab/arrows and opens a workflow from the feed', () => {
    expect(keys(['\t', { tab: true }])).toMatchObject({ focus: 'feed' });
    expect(keys(['', { leftArrow: true }])).toMatchObject({ focus: 'topics' });
    expect(keys(['\t', { tab: true }], 'j', 'j', ['\r', { return: true }])).toMatchObject({ view: 'trace', openId: 'b' });
  });

  it('shows help with ? and any key closes it; q and Ctrl+C quit', () => {
    expect(keys('?')).toMatchObject({ view: 'help' });
    expect(keys('?', 'x')).toMatchObject({ view: 'main' });
    expect(keys('q')).toBe('quit');
    expect(keys('/', ['c', { ctrl: true }])).toBe('quit');
  });

  it('keeps the selection on the same workflow when rows move, else on the same row', () => {
    expect(selectedIndex({ index: 0, id: 'c' }, ctx.workflows)).toBe(2);
    expect(selectedIndex({ index: 1, id: 'gone' }, ctx.workflows)).toBe(1);
    expect(selectedIndex({ index: 9, id: undefined }, ctx.workflows)).toBe(2);
  });
});

describe('keys that arrive together in one read', () => {
  it('applies "/cid:abc" + Enter typed into one chunk like the same keys typed slowly', async () => {
    const { reduceInput } = await import('../../../src/ui/dashboard/keys.js');
    const together = reduceInput(INITIAL_UI, '/cid:abc\r', {}, ctx);
    expect(together).toMatchObject({ filterText: 'cid:abc', editingFilter: false });
    expect(together).toEqual(keys('/', 'c', 'i', 'd', ':', 'a', 'b', 'c', ['', { return: true }]));
  });

  it('stops at a q in the chunk when not editing the filter', async () => {
    const { reduceInput } = await import('../../../src/ui/dashboard/keys.js');
    expect(reduceInput(INITIAL_UI, 'jq', {}, ctx)).toBe('quit');
    expect(reduceInput(INITIAL_UI, '/q', {}, ctx)).toMatchObject({ filterText: 'q', editingFilter: true });
  });
});
