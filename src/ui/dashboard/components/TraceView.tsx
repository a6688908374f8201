import { Box, Text } from 'ink';
import type { WorkflowView } from '../store.js';
import { STAGE_MARK, useTheme } from '../theme.js';
import { duration, fit } from '../format.js';
import { PanelTitle } from './PanelTitle.js';

export interface TraceViewProps {
  workflow: WorkflowView | undefined;
  correlationId: string;
  /** The causal tree as `miso trace` prints it (may carry colour codes). */
  lines: string[];
  width: number;
  height: number;
  scroll: number;
}

/** A workflow's causal trace: the same tree `miso trace <correlation-id>` prints. */
export function TraceView({ workflow, correlationId, lines, width, height, scroll }: TraceViewProps) {
  const t = useTheme();
  const room = Math.max(0, height - 3);
  const first = Math.max(0, Math.min(scroll, lines.length - room));
  const visible = lines.slice(first, first + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title={`Workflow ${correlationId}`} right="Esc back · j/k scroll" width={width} focused />
      {workflow ? (
        <Text wrap="truncate">
          <Text color={t.workflow(workflow.status)} bold>
            {workflow.status.toUpperCase()}{' '}
          </Text>
          {workflow.stages.map((s, j) => (
            <Text key={s.service} color={t.stage(s.status)}>
              {j > 0 ? ' → ' : ''}
              {STAGE_MARK[s.status]} {s.service}
            </Text>
          ))}
          {`  ${duration(workflow.durationMs)} · ${workflow.messages} messages`}
          {workflow.failure ? <Text color={t.bad}>{`  ${workflow.failure}`}</Text> : null}
        </Text>
      ) : (
        <Text color={t.warn}>{fit(`this workflow is no longer in the dashboard's memory — run \`miso trace ${correlationId}\``, width)}</Text>
      )}
      {visible.map((l, i) => (
        <Text key={first + i} wrap="truncate">
          {l}
        </Text>
      ))}
      {lines.length > room ? <Text dimColor={t.dim}>{`lines ${first + 1}-${first + visible.length} of ${lines.length}`}</Text> : null}
    </Box>
  );
}
