import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueTopic, waitUntil } from '../../support/env.js';
import { requirePulsar } from '../../support/peers.js';
import { freePorts } from '../../support/ports.js';

const PULSAR_HOME = requirePulsar();

// A real Pulsar proxy (from the distribution) in front of the test broker: the client looks
// topics up through it and names the broker in CONNECT (proxy_to_broker_url).
describe.skipIf(!PULSAR_HOME)('through a Pulsar proxy', () => {
  let proxy: ChildProcess | undefined;
  let dir: string;
  let serviceUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'miso-proxy-'));
    const [servicePort, webPort] = (await freePorts(2)) as [number, number];
    const base = readFileSync(join(PULSAR_HOME!, 'conf', 'proxy.conf'), 'utf8');
    const conf = join(dir, 'proxy.conf');
    writeFileSync(
      conf,
      `${base}\nbrokerServiceURL=${TEST_SERVICE_URL}\nbrokerWebServiceURL=${TEST_ADMIN_URL}\nservicePort=${servicePort}\nwebServicePort=${webPort}\nbindAddress=127.0.0.1\nclusterName=standalone\n` +
        // The proxy only forwards to the default broker ports unless told otherwise; the test broker may listen elsewhere.
        `brokerProxyAllowedTargetPorts=*\n`,
    );
    proxy = spawn(join(PULSAR_HOME!, 'bin', 'pulsar'), ['proxy'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, PULSAR_PROXY_CONF: conf, PULSAR_MEM: '-Xms64m -Xmx256m', PULSAR_LOG_DIR: dir },
    });
    serviceUrl = `pulsar://127.0.0.1:${servicePort}`;
    await waitUntil(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(servicePort, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.on('error', () => resolve(false));
        }),
      { timeoutMs: 90_000, intervalMs: 250, what: 'the proxy to listen' },
    );
  }, 120_000);

  afterAll(async () => {
    if (proxy?.pid !== undefined && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy!.once('exit', r));
      process.kill(-proxy.pid, 'SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('produces and consumes with every connection going through the proxy', async () => {
    const log: string[] = [];
    const client = new PulsarClient({ serviceUrl, log: (l) => log.push(l) });
    const topic = uniqueTopic('proxy');
    const consumer = await client.subscribe({ topic, subscription: 's', type: 'Shared' });
    const producer = await client.createProducer({ topic });
    await producer.send({ payload: Buffer.from('through the proxy'), key: 'k' });
    const m = await consumer.receive(10_000);
    expect(m?.payload.toString()).toBe('through the proxy');
    await consumer.ack(m!);
    // The topic's broker was reached via the proxy's address, not directly.
    expect(log.some((l) => l.startsWith('connected to ') && l.includes(` via ${serviceUrl} `))).toBe(true);
    await client.close();
  });
});
