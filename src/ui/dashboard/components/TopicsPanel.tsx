import { Box, Text } from 'ink';
import type { TopicRowView, BacklogTrend, SubscriptionView } from '../store.js';
import { useTheme } from '../theme.js';
import { count, fit, rate, sparkline } from '../format.js';
import { PanelTitle } from './PanelTitle.js';

export interface TopicsPanelProps {
  rows: TopicRowView[];
  width: number;
  /** Lines available, title included. Rows that do not fit are summarised on the last line. */
  height: number;
  focused: boolean;
}

const TREND: Record<BacklogTrend, string> = { growing: '↑', draining: '↓', steady: '=', unknown: ' ' };

function trendText(s: SubscriptionView): string {
  if (s.trend === 'unknown') return '';
  if (s.trend === 'steady') return `${TREND.steady} steady`;
  const sign = s.trendPerSec > 0 ? '+' : '-';
  return `${TREND[s.trend]} ${sign}${rate(Math.abs(s.trendPerSec))}/s`;
}

function label(r: TopicRowView): string {
  return r.role === 'dead-letter' ? `${r.service} DLQ` : r.short;
}

/**
 * Messages per second per topic with a one-minute sparkline, then each durable subscription:
 * backlog, its trend (growing / draining) and how many consumers are connected.
 */
export function TopicsPanel({ rows, width, height, focused }: TopicsPanelProps) {
  const t = useTheme();
  const nameW = 20;
  const rateW = 7;
  const seenW = 7;
  const subW = width >= 100 ? 18 : 12;
  const backlogW = 8;
  const trendW = 10;
  const consW = 5;
  const fixed = nameW + rateW + seenW + subW + backlogW + trendW + consW + 7;
  const sparkW = Math.max(0, Math.min(60, width - fixed));

  type Line = { key: string; row: TopicRowView; sub: number };
  const lines: Line[] = [];
  for (const r of rows) {
    const n = Math.max(1, r.subscriptions.length);
    for (let i = 0; i < n; i++) lines.push({ key: `${r.short}/${i}`, row: r, sub: i });
  }
  const room = Math.max(0, height - 2);
  const shown = lines.length > room ? lines.slice(0, Math.max(0, room - 1)) : lines;
  const hidden = rows.filter((r) => !shown.some((l) => l.row === r));
  const totalRate = rows.reduce((a, r) => a + r.rate, 0);

  return (
    <Box flexDirection="column" width={width}>
      <PanelTitle title="Topics" right={`${rate(totalRate)} msg/s total`} width={width} focused={focused} />
      <Box>
        <Text bold>
          {fit('topic', nameW, true)} {fit('msg/s', rateW).padStart(rateW)} {sparkW > 0 ? fit('last minute', sparkW, true) + ' ' : ''}
          {'seen'.padStart(seenW)} {fit('subscription', subW, true)} {'backlog'.padStart(backlogW)} {fit('trend', trendW, true)} {'cons'.padStart(consW)}
        </Text>
      </Box>
      {shown.map(({ key, row, sub }) => {
        const s = row.subscriptions[sub];
        const first = sub === 0;
        const missing = row.exists === false;
        const dlqAlert = row.role === 'dead-letter' && row.seen > 0;
        return (
          <Box key={key}>
            <Text color={dlqAlert ? t.bad : missing ? t.warn : undefined}>{fit(first ? label(row) : '', nameW, true)} </Text>
            <Text>{(first ? rate(row.rate) : '').padStart(rateW)} </Text>
            {sparkW > 0 ? <Text color={t.accent}>{first ? sparkline(row.spark, sparkW) : ' '.repeat(sparkW)} </Text> : null}
            <Text>{(first ? count(row.seen) : '').padStart(seenW)} </Text>
            {s ? (
              <>
                <Text>{fit(s.name, subW, true)} </Text>
                <Text color={s.backlog > 0 ? t.warn : undefined}>{count(s.backlog).padStart(backlogW)} </Text>
                <Text color={s.trend === 'growing' ? t.bad : s.trend === 'draining' ? t.ok : undefined}>{fit(trendText(s), trendW, true)} </Text>
                <Text color={s.consumers > 0 ? t.ok : t.bad}>{String(s.consumers).padStart(consW)}</Text>
              </>
            ) : missing && first ? (
              <Text color={t.warn}>topic missing — run `miso init`</Text>
            ) : (
              <Text dimColor={t.dim}>{fit(first ? '(no subscription)' : '', subW, true)}</Text>
            )}
          </Box>
        );
      })}
      {hidden.length > 0 ? (
        <Text dimColor={t.dim}>{fit(`+${hidden.length} more: ${hidden.map((r) => `${label(r)} ${rate(r.rate)}/s`).join(', ')}`, width)}</Text>
      ) : null}
    </Box>
  );
}
