import { Text } from 'ink';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

export function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  return (
    <Text>
      Terminal too small ({columns}×{rows}): the dashboard needs at least {MIN_COLUMNS}×{MIN_ROWS}. Enlarge the window, or use `miso tail` for plain lines. q
      quits.
    </Text>
  );
}
