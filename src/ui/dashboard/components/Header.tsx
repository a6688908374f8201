import { Box, Text } from 'ink';
import type { ConnectionState, SourceInfo } from '../../../core/monitor.js';
import type { ServiceView } from '../store.js';
import { useTheme } from '../theme.js';
import { duration, fit } from '../format.js';

export interface HeaderProps {
  info: SourceInfo;
  connection: ConnectionState & { sinceMs: number };
  services: ServiceView[];
  width: number;
  paused: boolean;
  filter: string;
  clock: string;
}

const BROKER_LABEL: Record<ConnectionState['broker'], string> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  disconnected: 'DISCONNECTED',
};

/** Where the dashboard looks, whether it can see, and which services are up. */
export function Header({ info, connection, services, width, paused, filter, clock }: HeaderProps) {
  const t = useTheme();
  const brokerUp = connection.broker === 'connected';
  const adminUp = connection.admin === 'ok';
  const down = connection.broker === 'disconnected' || connection.broker === 'reconnecting' || connection.admin === 'unreachable';
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color={t.accent}>
          miso
        </Text>
        {'  broker '}
        <Text color={brokerUp ? t.ok : t.bad}>
          {brokerUp ? '●' : '○'} {BROKER_LABEL[connection.broker]}
        </Text>
        {'  admin '}
        <Text color={adminUp ? t.ok : connection.admin === 'unknown' ? t.warn : t.bad}>
          {adminUp ? '●' : '○'} {connection.admin}
        </Text>
        {`  ${info.tenant}/${info.namespace}  ${info.serviceUrl}${info.profile ? `  profile ${info.profile}` : ''}`}
      </Text>
      <Text wrap="truncate">
        {'services '}
        {services.map((s) => (
          <Text key={s.service} color={s.consumers === undefined ? undefined : s.consumers > 0 ? t.ok : t.bad}>
            {s.service} {s.consumers === undefined ? '?' : s.consumers > 0 ? `● up(${s.consumers})` : '○ down'}
            {'  '}
          </Text>
        ))}
        {paused ? (
          <Text color={t.warn} bold>
            PAUSED{' '}
          </Text>
        ) : null}
        {filter ? <Text color={t.accent}>filter: {fit(filter, 30)} </Text> : null}
        <Text dimColor={t.dim}>{clock}</Text>
      </Text>
      {down ? (
        <Text color={t.bad} bold wrap="truncate">
          {fit(
            `⚠ ${connection.broker !== 'connected' ? `broker ${BROKER_LABEL[connection.broker].toLowerCase()}` : 'admin API unreachable'} for ${duration(connection.sinceMs)} — retrying by itself, figures may be stale${connection.detail ? ` · ${connection.detail}` : ''}`,
            width,
          )}
        </Text>
      ) : null}
    </Box>
  );
}
