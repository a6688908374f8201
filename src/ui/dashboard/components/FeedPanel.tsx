import { Box, Text } from 'ink';
import type { ObservedMessage } from '../../../core/monitor.js';
import { KIND_TAG, useTheme } from '../theme.js';
import { clockTime, fit, shortId } from '../format.js';
import { PanelTitle } from './PanelTitle.js';
import { messageText } from '../text.js';

export interface FeedPanelProps {
  rows: ObservedMessage[];
  width: number;
  height: number;
  focused: boolean;
  /** Index of the selected row (only drawn when focused). */
  selected: number;
  paused: boolean;
  newSincePause: number;
  total: number;
  filter: string;
}

/** The latest decoded messages, newest on top, one line each, coloured by kind. */
export function FeedPanel({ rows, width, height, focused, selected, paused, newSincePause, total, filter }: FeedPanelProps) {
  const t = useTheme();
  const room = Math.max(0, height - 1);
  const visible = rows.slice(0, room);
  const typeW = Math.min(34, Math.max(14, Math.floor(width * 0.34)));
  const right = paused ? `PAUSED · ${newSincePause} new · p to resume` : `${total} seen${filter ? ' · filtered' : ''}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title="Live feed" right={right} width={width} focused={focused} />
      {visible.length === 0 ? (
        <Text dimColor={t.dim}>{fit(filter ? `no message matches "${filter}" (Esc in / clears it)` : 'waiting for messages…', width)}</Text>
      ) : (
        visible.map((m, i) => {
          const sel = focused && i === selected;
          const line = `${clockTime(m.publishTime || m.timestamp)} ${KIND_TAG[m.kind]} ${fit(m.type, typeW, true)} ${shortId(m.correlationId || '-').padEnd(8)} ${messageText(m)}`;
          return (
            <Text key={`${m.messageId}/${m.topic}/${i}`} color={t.kind(m.kind)} inverse={sel} wrap="truncate">
              {fit(line, width)}
            </Text>
          );
        })
      )}
    </Box>
  );
}
