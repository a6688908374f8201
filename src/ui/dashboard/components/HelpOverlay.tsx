import { Box, Text } from 'ink';
import { useTheme } from '../theme.js';
import { PanelTitle } from './PanelTitle.js';

export const KEY_HELP: readonly [string, string][] = [
  ['↑ ↓  j k', 'move the selection'],
  ['Tab ← →', 'switch panel (workflows, live feed, topics)'],
  ['Enter', "open the selected workflow's causal trace"],
  ['Esc', 'back / clear the filter'],
  ['/', 'filter: words match type, correlation id or text; type:… cid:… topic:… kind:…'],
  ['p', 'pause / resume the live feed'],
  ['?', 'this help'],
  ['q  Ctrl+C', 'quit (readers are closed; nothing is consumed from services)'],
];

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const t = useTheme();
  return (
    <Box flexDirection="column" width={width} height={height}>
      <PanelTitle title="Keys" right="any key to close" width={width} focused />
      {KEY_HELP.map(([k, what]) => (
        <Box key={k}>
          <Text color={t.accent} bold>
            {k.padEnd(12)}
          </Text>
          <Text>{what}</Text>
        </Box>
      ))}
      <Text> </Text>
      <Text>Kinds in the feed: CMD command · EVT event · REJ rejection · DLQ dead letter · ??? undecodable</Text>
      <Text>Stages: ✓ done · … waiting for a reply · ✗ failed (rejected or dead-lettered) · · not reached</Text>
      <Text>The dashboard reads with non-durable readers: it never takes a message away from a service.</Text>
    </Box>
  );
}
