import { Box, Text } from 'ink';
import type { DeadLetterGroupView } from '../store.js';
import { useTheme } from '../theme.js';
import { clockTime, fit, shortId } from '../format.js';
import { PanelTitle } from './PanelTitle.js';

export interface DeadLettersPanelProps {
  groups: DeadLetterGroupView[];
  total: number;
  width: number;
  height: number;
}

/** Dead letters seen since the dashboard started, one line per group, largest first. */
export function DeadLettersPanel({ groups, total, width, height }: DeadLettersPanelProps) {
  const t = useTheme();
  const room = Math.max(0, height - 1);
  const right = `${total} in ${groups.length} group${groups.length === 1 ? '' : 's'} · miso dlq groups / replay --group`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title="Dead letters" right={right} width={width} focused={false} />
      {groups.slice(0, room).map((g) => {
        const line = `${String(g.count).padStart(4)}× ${g.service.padEnd(10)} ${fit(g.type, 32, true)} last ${clockTime(g.lastSeen).slice(0, 8)} wf ${shortId(g.exampleCorrelationId || '-').padEnd(8)} ${g.error}`;
        return (
          <Text key={`${g.service}/${g.type}/${g.error}`} color={t.kind('dead-letter')} wrap="truncate">
            {fit(line, width)}
          </Text>
        );
      })}
    </Box>
  );
}
