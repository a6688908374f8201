import { ConfigError } from '../errors.js';

/** One broker endpoint of a service URL. */
export interface BrokerAddress {
  /** Canonical "pulsar://host:port" / "pulsar+ssl://host:port" (what lookups return). */
  url: string;
  host: string;
  port: number;
  tls: boolean;
}

/**
 * Parse `pulsar://host[:port][,host2[:port]]` or `pulsar+ssl://...` into endpoints.
 * Default ports: 6650 plain, 6651 TLS.
 */
export function parseServiceUrl(serviceUrl: string): BrokerAddress[] {
  const m = /^(pulsar|pulsar\+ssl):\/\/([^/?#]+)\/?$/.exec(serviceUrl.trim());
  if (!m) {
    throw new ConfigError(`"${serviceUrl}" is not a Pulsar service URL`, {
      hint: 'Use pulsar://host:6650 or pulsar+ssl://host:6651 (--service-url).',
    });
  }
  const tls = m[1] === 'pulsar+ssl';
  return m[2]!.split(',').map((hostPort) => {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort.trim());
    if (!hp || hp[1] === '') {
      throw new ConfigError(`"${hostPort}" in "${serviceUrl}" is not host:port`, { hint: 'Use pulsar://host:6650 (--service-url).' });
    }
    const host = hp[1]!.replace(/^\[|\]$/g, '');
    // A host name or IPv4 address (letters, digits, dots, dashes), or a bracketed IPv6 address.
    const validHost = hp[1]!.startsWith('[') ? /^[0-9A-Fa-f:.]+$/.test(host) : /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host);
    if (!validHost) {
      throw new ConfigError(`"${hostPort}" in "${serviceUrl}" has a malformed host`, { hint: 'Use pulsar://host:6650,host2:6651 (--service-url).' });
    }
    const port = hp[2] === undefined ? (tls ? 6651 : 6650) : Number(hp[2]);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(`port ${hp[2]} in "${serviceUrl}" is out of range`, { hint: 'Ports are 1-65535.' });
    }
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return { url: `${tls ? 'pulsar+ssl' : 'pulsar'}://${shownHost}:${port}`, host, port, tls };
  });
}

/** Parse a single broker URL as returned by a lookup. */
export function parseBrokerUrl(url: string): BrokerAddress {
  const list = parseServiceUrl(url);
  if (list.length !== 1) throw new ConfigError(`"${url}" names more than one broker`);
  return list[0]!;
}
