import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureBrokerMaterial } from '../../../src/broker/secure.js';
import { AuthError } from '../../../src/errors.js';
import { BrokerAuthenticationError, BrokerAuthorizationError, PulsarClient, TlsError } from '../../../src/pulsar/index.js';
import { uniqueTopic } from '../../support/env.js';
import { startStandalone, type Standalone } from '../../support/broker.js';
import { requirePulsar } from '../../support/peers.js';

// TLS and token authentication against a standalone of our own configured like `miso broker up --secure`.
describe.skipIf(!requirePulsar())('TLS and token authentication (own secure standalone)', () => {
  let broker: Standalone;
  let material: SecureBrokerMaterial;
  let tlsPort: number;

  beforeAll(async () => {
    // Listen on every loopback address so 127.0.0.2 (not in the certificate) can be tried.
    broker = await startStandalone({ secure: true, conf: { bindAddress: '0.0.0.0' } });
    material = broker.secure!.material;
    tlsPort = broker.secure!.servicePortTls;
  }, 180_000);
  afterAll(async () => {
    await broker?.destroy();
  }, 60_000);

  async function roundTrip(client: PulsarClient): Promise<string | undefined> {
    const topic = uniqueTopic('secure');
    const consumer = await client.subscribe({ topic, subscription: 's', type: 'Shared' });
    const producer = await client.createProducer({ topic });
    await producer.send({ payload: Buffer.from('over tls') });
    const m = await consumer.receive(10_000);
    if (m) await consumer.ack(m);
    return m?.payload.toString();
  }

  it('pulsar+ssl with the CA and a token: produce and consume, host name checked (localhost and 127.0.0.1)', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const client = new PulsarClient({ serviceUrl: `pulsar+ssl://${host}:${tlsPort}`, tlsTrustCertsFile: material.caFile, token: material.adminToken });
      expect(await roundTrip(client)).toBe('over tls');
      await client.close();
    }
  });

  it('an untrusted certificate is refused with a TLS error and a hint; --tls-allow-insecure accepts it', async () => {
    const untrusted = new PulsarClient({ serviceUrl: `pulsar+ssl://localhost:${tlsPort}`, token: material.adminToken });
    const err = await untrusted.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).hint).toMatch(/--tls-trust-certs/);
    await untrusted.close();
    const insecure = new PulsarClient({ serviceUrl: `pulsar+ssl://localhost:${tlsPort}`, token: material.adminToken, tlsAllowInsecure: true });
    expect(await roundTrip(insecure)).toBe('over tls');
    await insecure.close();
  });

  it('a host name the certificate does not name is refused (verification is on by default)', async () => {
    const wrongHost = new PulsarClient({ serviceUrl: `pulsar+ssl://127.0.0.2:${tlsPort}`, tlsTrustCertsFile: material.caFile, token: material.adminToken });
    const err = await wrongHost.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/127\.0\.0\.2/);
    await wrongHost.close();
  });

  it('a missing or expired token is an authentication error; a token without rights an authorization error', async () => {
    const noToken = new PulsarClient({ serviceUrl: broker.serviceUrl });
    const e1 = await noToken.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(BrokerAuthenticationError);
    expect(e1).toBeInstanceOf(AuthError);
    expect((e1 as AuthError).hint).toMatch(/token/);
    await noToken.close();

    const expired = new PulsarClient({ serviceUrl: broker.serviceUrl, token: material.tokens.expired.token });
    expect(await expired.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e)).toBeInstanceOf(BrokerAuthenticationError);
    await expired.close();

    const noRights = new PulsarClient({ serviceUrl: broker.serviceUrl, token: material.tokens.noPermission.token });
    const e3 = await noRights.createProducer({ topic: uniqueTopic() }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(BrokerAuthorizationError);
    expect((e3 as Error).message).toMatch(/not authorized/);
    await noRights.close();

    const admin = new PulsarClient({ serviceUrl: broker.serviceUrl, token: material.adminToken });
    expect(await roundTrip(admin)).toBe('over tls');
    await admin.close();
  });
});
