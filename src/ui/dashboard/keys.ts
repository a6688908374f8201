/**
 * What each key does, as a pure function of the screen state: the component keeps the state
 * in a ref and applies keys as they arrive, so keys typed faster than frames are drawn all
 * count, each seeing the effect of the previous one.
 */
export type Panel = 'workflows' | 'feed' | 'topics';
export const PANELS: readonly Panel[] = ['workflows', 'feed', 'topics'];

export interface UiState {
  focus: Panel;
  view: 'main' | 'trace' | 'help';
  filterText: string;
  editingFilter: boolean;
  /** Feed total when paused; undefined when live. */
  pausedAt: number | undefined;
  /** Selected workflow: by id so it stays put while rows move; index as the fallback. */
  workflow: { index: number; id: string | undefined };
  feedIndex: number;
  openId: string | undefined;
  traceScroll: number;
}

export const INITIAL_UI: UiState = {
  focus: 'workflows',
  view: 'main',
  filterText: '',
  editingFilter: false,
  pausedAt: undefined,
  workflow: { index: 0, id: undefined },
  feedIndex: 0,
  openId: undefined,
  traceScroll: 0,
};

/** The flags Ink reports with a key press (only those used here). */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  meta?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

/** What is on screen when the key arrives. */
export interface KeyContext {
  workflows: readonly { correlationId: string }[];
  feed: readonly { correlationId: string }[];
  feedTotal: number;
}

/** Index of the selected workflow in `list`: the same workflow if still listed, else the same row. */
export function selectedIndex(sel: UiState['workflow'], list: readonly { correlationId: string }[]): number {
  const byId = sel.id ? list.findIndex((w) => w.correlationId === sel.id) : -1;
  return byId >= 0 ? byId : Math.min(sel.index, Math.max(0, list.length - 1));
}

export function reduceKey(s: UiState, input: string, key: KeyFlags, ctx: KeyContext): UiState | 'quit' {
  if (key.ctrl && input === 'c') return 'quit';
  if (s.editingFilter) {
    if (key.escape) return { ...s, filterText: '', editingFilter: false };
    if (key.return) return { ...s, editingFilter: false };
    if (key.backspace || key.delete) return { ...s, filterText: s.filterText.slice(0, -1) };
    if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow) {
      return { ...s, filterText: s.filterText + input };
    }
    return s;
  }
  if (input === 'q') return 'quit';
  if (s.view === 'help') return { ...s, view: 'main' };
  if (s.view === 'trace') {
    if (key.escape || key.backspace || key.leftArrow) return { ...s, view: 'main' };
    if (key.downArrow || input === 'j') return { ...s, traceScroll: s.traceScroll + 1 };
    if (key.upArrow || input === 'k') return { ...s, traceScroll: Math.max(0, s.traceScroll - 1) };
    if (input === '?') return { ...s, view: 'help' };
    return s;
  }
  if (input === '?') return { ...s, view: 'help' };
  if (input === '/') return { ...s, editingFilter: true };
  if (input === 'p') return { ...s, pausedAt: s.pausedAt === undefined ? ctx.feedTotal : undefined };
  if (key.escape) return { ...s, filterText: '' };
  if (key.tab || key.rightArrow || key.leftArrow) {
    const dir = key.leftArrow || key.shift ? -1 : 1;
    return { ...s, focus: PANELS[(PANELS.indexOf(s.focus) + dir + PANELS.length) % PANELS.length]! };
  }
  const down = key.downArrow || input === 'j';
  const up = key.upArrow || input === 'k';
  const open = (id: string | undefined): UiState => (id ? { ...s, view: 'trace', openId: id, traceScroll: 0 } : s);
  if (s.focus === 'workflows') {
    const list = ctx.workflows;
    const at = selectedIndex(s.workflow, list);
    if ((down || up) && list.length > 0) {
      const i = Math.max(0, Math.min(list.length - 1, at + (down ? 1 : -1)));
      return { ...s, workflow: { index: i, id: list[i]!.correlationId } };
    }
    if (key.return) return open(list[at]?.correlationId);
  } else if (s.focus === 'feed') {
    const rows = ctx.feed;
    if (down) return { ...s, feedIndex: Math.min(s.feedIndex + 1, Math.max(0, rows.length - 1)) };
    if (up) return { ...s, feedIndex: Math.max(0, s.feedIndex - 1) };
    if (key.return) return open(rows[Math.min(s.feedIndex, rows.length - 1)]?.correlationId || undefined);
  }
  return s;
}

/**
 * Ink hands over what one read of stdin held. When the terminal is busy, several typed keys
 * arrive as one string ("/cid:abc\r"); apply them one at a time, as if typed slowly.
 */
export function reduceInput(s: UiState, input: string, key: KeyFlags, ctx: KeyContext): UiState | 'quit' {
  const special =
    key.ctrl ||
    key.meta ||
    key.escape ||
    key.return ||
    key.tab ||
    key.backspace ||
    key.delete ||
    key.upArrow ||
    key.downArrow ||
    key.leftArrow ||
    key.rightArrow;
  if (special || input.length <= 1) return reduceKey(s, input, key, ctx);
  let cur: UiState = s;
  for (const ch of input) {
    const next = ch === '\r' || ch === '\n' ? reduceKey(cur, '', { return: true }, ctx) : reduceKey(cur, ch, {}, ctx);
    if (next === 'quit') return next;
    cur = next;
  }
  return cur;
}
