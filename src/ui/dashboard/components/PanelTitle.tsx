import { Box, Text } from 'ink';
import { useTheme } from '../theme.js';
import { fit } from '../format.js';

/** A panel's title bar; inverse when the panel has the keyboard. */
export function PanelTitle({ title, right, width, focused }: { title: string; right?: string; width: number; focused: boolean }) {
  const t = useTheme();
  const left = ` ${title} `;
  const r = right ? ` ${right} ` : '';
  const fill = Math.max(0, width - left.length - r.length);
  return (
    <Box width={width}>
      <Text inverse={focused} bold color={focused ? undefined : t.accent}>
        {fit(left, width)}
      </Text>
      <Text dimColor={t.dim}>{'─'.repeat(fill)}</Text>
      <Text>{fit(r, Math.max(0, width - left.length))}</Text>
    </Box>
  );
}
