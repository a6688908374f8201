import { createContext, useContext } from 'react';
import type { MessageKind } from '../../core/monitor.js';
import type { StageStatus, WorkflowStatus } from './store.js';

/**
 * Colours by meaning. With colour off (NO_COLOR, or not wanted) every colour is undefined and
 * the panels still tell kinds apart by their tags (CMD, EVT, REJ, DLQ, ???) and marks.
 */
export interface Theme {
  color: boolean;
  kind(k: MessageKind): string | undefined;
  stage(s: StageStatus): string | undefined;
  workflow(s: WorkflowStatus): string | undefined;
  accent: string | undefined;
  dim: boolean;
  ok: string | undefined;
  bad: string | undefined;
  warn: string | undefined;
}

const KIND_COLOR: Record<MessageKind, string> = {
  command: 'cyan',
  event: 'green',
  rejection: 'yellow',
  'dead-letter': 'red',
  undecodable: 'magenta',
};

const STAGE_COLOR: Record<StageStatus, string | undefined> = { none: 'gray', pending: 'yellow', done: 'green', failed: 'red' };
const WORKFLOW_COLOR: Record<WorkflowStatus, string> = { 'in-flight': 'yellow', stalled: 'magenta', done: 'green', failed: 'red' };

export function makeTheme(color: boolean): Theme {
  const c = <T extends string | undefined>(v: T): T | undefined => (color ? v : undefined);
  return {
    color,
    kind: (k) => c(KIND_COLOR[k]),
    stage: (s) => c(STAGE_COLOR[s]),
    workflow: (s) => c(WORKFLOW_COLOR[s]),
    accent: c('cyan'),
    dim: color,
    ok: c('green'),
    bad: c('red'),
    warn: c('yellow'),
  };
}

export const ThemeContext = createContext<Theme>(makeTheme(true));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

export const KIND_TAG: Record<MessageKind, string> = {
  command: 'CMD',
  event: 'EVT',
  rejection: 'REJ',
  'dead-letter': 'DLQ',
  undecodable: '???',
};

export const STAGE_MARK: Record<StageStatus, string> = { none: '·', pending: '…', done: '✓', failed: '✗' };
