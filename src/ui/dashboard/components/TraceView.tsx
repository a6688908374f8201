import { Box, Text } from 'ink';
import type { MessageKind } from '../../../core/monitor.js';
import type { WorkflowView } from '../store.js';
import { KIND_TAG, STAGE_MARK, useTheme } from '../theme.js';
import { duration, fit } from '../format.js';
import { PanelTitle } from './PanelTitle.js';

/** One line of a causal tree, already laid out (depth = indentation level). */
export interface TraceLine {
  depth: number;
  /** Tree drawing prefix (`├─ `, `└─ `, `│  `), as `miso trace` draws it. */
  prefix: string;
  kind: MessageKind;
  type: string;
  topic: string;
  /** Latency from the parent message, ms (undefined for the root). */
  hopMs: number | undefined;
  /** Time since the workflow started, ms. */
  atMs: number;
  detail: string;
  slowest: boolean;
}

export interface TraceViewProps {
  workflow: WorkflowView | undefined;
  correlationId: string;
  lines: TraceLine[];
  /** Totals under the tree (duration, slowest hop...), one line each. */
  footer: string[];
  width: number;
  height: number;
  scroll: number;
}

/** A workflow's causal trace: the same tree `miso trace <correlation-id>` prints. */
export function TraceView({ workflow, correlationId, lines, footer, width, height, scroll }: TraceViewProps) {
  const t = useTheme();
  const room = Math.max(0, height - 3 - footer.length);
  const first = Math.max(0, Math.min(scroll, lines.length - room));
  const visible = lines.slice(first, first + room);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title={`Workflow ${correlationId}`} right="Esc back · j/k scroll" width={width} focused />
      {workflow ? (
        <Box>
          <Text color={t.workflow(workflow.status)} bold>{workflow.status.toUpperCase()} </Text>
          {workflow.stages.map((s, j) => (
            <Text key={s.service} color={t.stage(s.status)}>{j > 0 ? ' → ' : ''}{STAGE_MARK[s.status]} {s.service}</Text>
          ))}
          <Text>  {duration(workflow.durationMs)} · {workflow.messages} messages</Text>
        </Box>
      ) : (
        <Text color={t.warn}>{fit('this workflow is no longer in the dashboard\'s memory — run `miso trace ' + correlationId + '`', width)}</Text>
      )}
      {visible.map((l, i) => (
        <Box key={first + i}>
          <Text dimColor={t.dim}>{l.prefix}</Text>
          <Text color={t.kind(l.kind)}>{KIND_TAG[l.kind]} {l.type}</Text>
          <Text dimColor={t.dim}> {l.topic}</Text>
          <Text color={l.slowest ? t.warn : undefined}>{l.hopMs === undefined ? '' : `  +${duration(l.hopMs)}`}{l.slowest ? ' (slowest)' : ''}</Text>
          <Text wrap="truncate">  {l.detail}</Text>
        </Box>
      ))}
      {lines.length > room ? <Text dimColor={t.dim}>{`lines ${first + 1}-${first + visible.length} of ${lines.length}`}</Text> : null}
      {footer.map((f, i) => (
        <Text key={`f${i}`} wrap="truncate">{f}</Text>
      ))}
    </Box>
  );
}
