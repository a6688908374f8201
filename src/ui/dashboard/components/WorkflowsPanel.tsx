import { Box, Text } from 'ink';
import type { ServiceName } from '../../../config/index.js';
import type { WorkflowView } from '../store.js';
import { STAGE_MARK, useTheme } from '../theme.js';
import { duration, fit, shortId } from '../format.js';
import { PanelTitle } from './PanelTitle.js';

export interface WorkflowsPanelProps {
  rows: WorkflowView[];
  width: number;
  height: number;
  focused: boolean;
  selected: number;
  total: number;
}

const STATUS_LABEL: Record<WorkflowView['status'], string> = { 'in-flight': 'in flight', stalled: 'stalled', done: 'done', failed: 'FAILED' };
const SHORT_STAGE: Record<ServiceName, string> = { campaign: 'camp', tracking: 'track', commission: 'comm', payment: 'pay' };

/**
 * In-flight and recent workflows by correlation id: the stage each reached
 * (campaign → tracking → commission → payment), its duration, failures marked.
 */
export function WorkflowsPanel({ rows, width, height, focused, selected, total }: WorkflowsPanelProps) {
  const t = useTheme();
  const compact = width < 110;
  const name = (s: ServiceName): string => (compact ? SHORT_STAGE[s] : s);
  const stageW = (['campaign', 'tracking', 'commission', 'payment'] as const).reduce((a, s) => a + name(s).length + 2, 0) + 9 + 1;
  const room = Math.max(0, height - 2);
  // Scroll so the selected row stays on screen.
  const first = Math.max(0, Math.min(selected - room + 1, rows.length - room));
  const visible = rows.slice(first, first + room);
  const inFlight = rows.filter((r) => r.status === 'in-flight').length;
  const failed = rows.filter((r) => r.status === 'failed').length;
  const fixedW = 10 + 10 + stageW + 9 + 5;
  const head = `${'workflow'.padEnd(10)}${'status'.padEnd(10)}${fit(compact ? 'camp → track → comm → pay' : 'campaign → tracking → commission → payment', stageW, true)}${'duration'.padStart(9)} msgs${width > fixedW + 10 ? '  failure' : ''}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title="Workflows" right={`${inFlight} in flight · ${failed} failed · ${total} tracked`} width={width} focused={focused} />
      <Text bold wrap="truncate">
        {fit(head, width)}
      </Text>
      {visible.length === 0 ? (
        <Text dimColor={t.dim}>{fit('no workflow yet — send one with `miso send …` or run `miso demo`', width)}</Text>
      ) : (
        visible.map((w, i) => {
          const sel = focused && first + i === selected;
          return (
            <Box key={w.correlationId} width={width}>
              <Text inverse={sel} color={w.status === 'failed' ? t.bad : undefined}>
                {(sel ? '›' : ' ') + shortId(w.correlationId).padEnd(9)}
              </Text>
              <Text color={t.workflow(w.status)}>{STATUS_LABEL[w.status].padEnd(10)}</Text>
              {w.stages.map((s, j) => (
                <Text key={s.service} color={t.stage(s.status)}>
                  {j > 0 ? ' → ' : ''}
                  {STAGE_MARK[s.status]} {name(s.service)}
                </Text>
              ))}
              <Text>
                {' '}
                {duration(w.durationMs).padStart(9)} {String(w.messages).padStart(4)}
              </Text>
              {w.failure && width > fixedW + 10 ? (
                <Text color={t.bad} wrap="truncate">
                  {' '}
                  {fit(w.failure, width - fixedW - 3)}
                </Text>
              ) : null}
            </Box>
          );
        })
      )}
    </Box>
  );
}
