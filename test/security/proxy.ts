import net from 'node:net';

/**
 * A TCP relay that counts connections: put in front of a broker port, it tells how many times a
 * client dialled (a retry storm shows as many connections) without timing anything. Bytes pass
 * through untouched, so TLS is negotiated end to end with the real broker. Listening on
 * 127.0.0.2 gives a address the broker certificate does not name.
 */
export class CountingProxy {
  connections = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    readonly host: string,
    private readonly target: { host: string; port: number },
  ) {}

  async start(): Promise<this> {
    this.server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Connections since the last call. */
  take(): number {
    const n = this.connections;
    this.connections = 0;
    return n;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
