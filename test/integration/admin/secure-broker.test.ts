/**
 * The secure material for real: a standalone of this file's own with TLS on both ports and
 * token authentication + authorization, configured only by prepareSecureBroker's overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../../src/config/index.js';
import { prepareSecureBroker, type SecureBrokerMaterial } from '../../../src/broker/secure.js';
import { initCluster } from '../../../src/core/init.js';
import { runDoctor, type DoctorCheck } from '../../../src/core/doctor.js';
import { AdminAuthError, AdminClient, AdminTlsError, TlsError } from '../../../src/pulsar/admin.js';
import { AuthError } from '../../../src/errors.js';
import { startStandalone, type Standalone } from '../../support/broker.js';
import { requirePulsar } from '../../support/peers.js';

const HAS_PULSAR = requirePulsar() !== undefined;
let material: SecureBrokerMaterial;
let broker: Standalone;
let httpsUrl: string;
let tlsServiceUrl: string;

const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

beforeAll(async () => {
  if (!HAS_PULSAR) return;
  broker = await startStandalone({ secure: true });
  ({ material, adminUrl: httpsUrl, serviceUrl: tlsServiceUrl } = broker.secure!);
});

afterAll(async () => {
  await broker?.destroy();
});

function secureConfig(over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    profile: 'secure-test',
    serviceUrl: tlsServiceUrl,
    adminUrl: httpsUrl,
    token: material.adminToken,
    tenant: `secure-${Date.now().toString(36)}`,
    namespace: 'default',
    tlsTrustCertsFile: material.caFile,
    tlsAllowInsecure: false,
    retentionMinutes: 60,
    retentionSizeMb: 16,
    sources: {},
    ...over,
  };
}

describe.skipIf(!HAS_PULSAR)('prepareSecureBroker material', () => {
  it('keeps keys, the secret and tokens private, and reuses what exists', async () => {
    for (const f of [
      material.keyFile,
      material.caKeyFile,
      material.secretKeyFile,
      material.adminTokenFile,
      material.tokens.expired.file,
      material.tokens.producerOnly.file,
      material.tokens.noPermission.file,
    ]) {
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
    const again = await prepareSecureBroker(material.dir, { servicePortTls: material.ports.serviceTls, webServicePortTls: material.ports.webTls });
    expect(again.generated).toEqual([]);
    expect(again.adminToken).toBe(material.adminToken);
    expect(again.confOverrides).toEqual(material.confOverrides);
  });
});

describe.skipIf(!HAS_PULSAR)('a broker with TLS and token authentication', () => {
  it('serves the admin API over https to the admin token, trusting the CA', async () => {
    const admin = new AdminClient({ adminUrl: httpsUrl, token: material.adminToken, tlsTrustCertsFile: material.caFile });
    expect(await admin.clusters()).toEqual(['standalone']);
    expect(await admin.brokerVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers 401 without a token → AuthError that says to pass one', async () => {
    const err = await new AdminClient({ adminUrl: httpsUrl, tlsTrustCertsFile: material.caFile }).clusters().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ status: 401, kind: 'credentials' });
    expect((err as AdminAuthError).hint).toMatch(/--token/);
  });

  it('refuses the expired token → AuthError naming the expiry', async () => {
    const err = await new AdminClient({ adminUrl: httpsUrl, token: material.tokens.expired.token, tlsTrustCertsFile: material.caFile })
      .tenants()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminAuthError);
    expect((err as AdminAuthError).status).toBe(401);
    expect((err as AdminAuthError).message).toMatch(/expired at \d{4}-/);
  });

  it('tells a token without permission apart from bad credentials', async () => {
    const err = await new AdminClient({ adminUrl: httpsUrl, token: material.tokens.noPermission.token, tlsTrustCertsFile: material.caFile })
      .tenant('public')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminAuthError);
    expect((err as AdminAuthError).kind).toBe('permission');
    expect((err as AdminAuthError).message).toMatch(/lacks permission to read tenant public/);
  });

  it('with a CA that did not sign the certificate → a clear TLS error', async () => {
    const other = await prepareSecureBroker(join(broker.dir, 'other-ca'));
    const err = await new AdminClient({ adminUrl: httpsUrl, token: material.adminToken, tlsTrustCertsFile: other.caFile }).clusters().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminTlsError);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as AdminTlsError).message).toMatch(/certificate is not trusted/);
    expect((err as AdminTlsError).hint).toMatch(/--tls-trust-certs/);
    // Same without any CA: the system store does not know a private CA either.
    await expect(new AdminClient({ adminUrl: httpsUrl, token: material.adminToken }).clusters()).rejects.toBeInstanceOf(AdminTlsError);
  });

  it('initCluster works with the admin token and reports every step a no-permission token may not do', async () => {
    const cfg = secureConfig();
    const report = await initCluster(cfg);
    expect(report.ok).toBe(true);
    expect(report.counts.created).toBe(19);

    // A role with only "produce" on the namespace: it can do none of init's steps.
    const admin = new AdminClient(cfg);
    await admin.grantPermission(cfg, 'producer-only', ['produce']);
    expect(await admin.permissions(cfg)).toEqual({ 'producer-only': ['produce'] });
    const limited = await initCluster({ ...cfg, token: material.tokens.producerOnly.token });
    expect(limited.ok).toBe(false);
    const failed = limited.steps.filter((s) => s.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) {
      expect(s.detail, s.name).toMatch(/lacks permission|refused/);
      expect([401, 403]).toContain(s.httpStatus);
    }
    // One refused step does not hide the others: every step was attempted and reported.
    expect(limited.steps).toHaveLength(19);
  });

  it('doctor checks TLS, the certificate, the CONNECT handshake and the token on the secure broker', async () => {
    const cfg = secureConfig();
    await initCluster(cfg);
    const ok = byName((await runDoctor(cfg)).checks);
    expect(ok['admin API']?.status).toBe('ok');
    expect(ok['binary port']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/TLS ok: certificate CN=localhost .*issued by miso local CA/) });
    expect(ok['broker handshake'], ok['broker handshake']?.detail).toMatchObject({ status: 'ok', detail: expect.stringContaining('with the token') });
    expect(ok.authentication?.status).toBe('ok');
    expect(ok.topics?.status).toBe('ok');

    const expired = await runDoctor({ ...cfg, token: material.tokens.expired.token });
    const e = byName(expired.checks);
    expect(expired.ok).toBe(false);
    expect(e.token).toMatchObject({ status: 'fail', detail: expect.stringMatching(/expired/) });
    expect(e['broker handshake']?.status).toBe('fail');
    expect(e.authentication).toMatchObject({ status: 'fail', detail: expect.stringMatching(/expired/) });

    const noCa = byName((await runDoctor({ ...cfg, tlsTrustCertsFile: undefined })).checks);
    expect(noCa['admin API']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not trusted/) });
    expect(noCa['binary port']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not trusted/) });
  });
});
