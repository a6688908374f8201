/**
 * Material for a local broker with TLS and token authentication (`miso broker up --secure`):
 *
 *   ca.cert.pem / ca.key.pem          a private CA (10 years), trusted by miso via --tls-trust-certs
 *   broker.cert.pem / broker.key.pem  the broker certificate for localhost, 127.0.0.1 and the
 *                                     given host name, signed by that CA; the key is PKCS#8,
 *                                     which is what Pulsar's TLS settings expect
 *   secret.key                        the HMAC-SHA256 key tokens are signed with (32 random bytes)
 *   tokens/<subject>.jwt              HS256 JWTs: `admin` (superuser), `producer-only`,
 *                                     `no-permission`, and `expired` (subject admin, already
 *                                     expired) for tests of the refusal paths
 *
 * plus the broker.conf overrides that switch it all on. Keys, the secret and the tokens are
 * mode 0600. Everything is made once and reused: a second call only fills in what is missing
 * (or re-issues the broker certificate when it is about to expire or the host name changed).
 *
 * The plain ports stay open next to the TLS ones: authentication applies to every port, and
 * the broker's own internal client (standalone talks to itself) keeps working without a TLS
 * client set-up. Use the TLS URLs to exercise TLS, the plain ones for anything else.
 *
 * Certificates are made with the `openssl` command (Node has no API to issue X.509
 * certificates); tokens are signed here with node:crypto.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProcessError } from '../errors.js';

export const TOKEN_SUBJECTS = ['admin', 'producer-only', 'no-permission'] as const;
export type TokenSubject = (typeof TOKEN_SUBJECTS)[number] | 'expired';

export interface TokenFile {
  subject: string;
  token: string;
  file: string;
}

export interface SecureBrokerMaterial {
  dir: string;
  caFile: string;
  caKeyFile: string;
  certFile: string;
  /** PKCS#8 PEM. */
  keyFile: string;
  secretKeyFile: string;
  adminToken: string;
  adminTokenFile: string;
  tokens: { admin: TokenFile; producerOnly: TokenFile; noPermission: TokenFile; expired: TokenFile };
  ports: { serviceTls: number; webTls: number };
  /** broker.conf settings to append to standalone.conf. */
  confOverrides: Record<string, string>;
  /** What this call generated (empty when everything was already there). */
  generated: string[];
}

export interface SecureOptions {
  /** An extra DNS name for the broker certificate (localhost and 127.0.0.1 are always in). */
  hostname?: string;
  servicePortTls?: number;
  webServicePortTls?: number;
  /** Validity of the broker certificate. Default 825 days (what browsers and most clients accept). */
  certDays?: number;
}

/** Re-issue the broker certificate when it has fewer days left than this. */
const RENEW_BEFORE_DAYS = 30;

/** A JWT signed with HMAC-SHA256, as Pulsar's AuthenticationProviderToken verifies it. */
export function signToken(secret: Buffer, claims: { sub: string; exp?: number; [k: string]: unknown }): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  const sig = createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

export async function prepareSecureBroker(dir: string, opts: SecureOptions = {}): Promise<SecureBrokerMaterial> {
  const root = resolve(dir);
  mkdirSync(join(root, 'tokens'), { recursive: true, mode: 0o700 });
  const f = {
    caKey: join(root, 'ca.key.pem'),
    ca: join(root, 'ca.cert.pem'),
    key: join(root, 'broker.key.pem'),
    cert: join(root, 'broker.cert.pem'),
    secret: join(root, 'secret.key'),
  };
  const generated: string[] = [];
  const hostnames = ['localhost', ...(opts.hostname && opts.hostname !== 'localhost' ? [opts.hostname] : [])];

  // ── CA ──
  if (!existsSync(f.ca) || !existsSync(f.caKey) || daysLeft(f.ca) < RENEW_BEFORE_DAYS) {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f.caKey]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      f.caKey,
      '-sha256',
      '-days',
      '3650',
      '-subj',
      '/CN=miso local CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      f.ca,
    ]);
    rmSync(f.cert, { force: true }); // a new CA invalidates the old broker certificate
    generated.push('ca');
  }
  chmodSync(f.caKey, 0o600);

  // ── broker certificate ──
  if (!existsSync(f.cert) || !existsSync(f.key) || daysLeft(f.cert) < RENEW_BEFORE_DAYS || !coversHosts(f.cert, hostnames)) {
    // genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), the form Pulsar's tlsKeyFilePath requires.
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f.key]);
    const csr = join(root, 'broker.csr.pem');
    const ext = join(root, 'broker.ext');
    openssl(['req', '-new', '-key', f.key, '-subj', '/CN=localhost', '-out', csr]);
    const san = [...hostnames.map((h) => `DNS:${h}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
    writeFileSync(
      ext,
      `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      f.ca,
      '-CAkey',
      f.caKey,
      '-CAcreateserial',
      '-sha256',
      '-days',
      String(opts.certDays ?? 825),
      '-extfile',
      ext,
      '-out',
      f.cert,
    ]);
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
    generated.push('broker certificate');
  }
  chmodSync(f.key, 0o600);

  // ── token secret and tokens ──
  let secret: Buffer;
  if (existsSync(f.secret)) {
    secret = readFileSync(f.secret);
  } else {
    secret = randomBytes(32);
    writeFileSync(f.secret, secret, { mode: 0o600 });
    // Tokens signed with an older secret would no longer verify.
    for (const s of [...TOKEN_SUBJECTS, 'expired']) rmSync(join(root, 'tokens', `${s}.jwt`), { force: true });
    generated.push('token secret');
  }
  chmodSync(f.secret, 0o600);

  const token = (name: string, claims: { sub: string; exp?: number }): TokenFile => {
    const file = join(root, 'tokens', `${name}.jwt`);
    if (!existsSync(file)) {
      writeFileSync(file, signToken(secret, claims) + '\n', { mode: 0o600 });
      generated.push(`token ${name}`);
    }
    chmodSync(file, 0o600);
    return { subject: claims.sub, token: readFileSync(file, 'utf8').trim(), file };
  };
  const admin = token('admin', { sub: 'admin' });
  const producerOnly = token('producer-only', { sub: 'producer-only' });
  const noPermission = token('no-permission', { sub: 'no-permission' });
  // Issued an hour in the past, expired a minute later: refused for its age, not its role.
  const expired = token('expired', { sub: 'admin', exp: Math.floor(Date.now() / 1000) - 3600 });

  const ports = { serviceTls: opts.servicePortTls ?? 6651, webTls: opts.webServicePortTls ?? 8443 };
  const confOverrides: Record<string, string> = {
    brokerServicePortTls: String(ports.serviceTls),
    webServicePortTls: String(ports.webTls),
    tlsCertificateFilePath: f.cert,
    tlsKeyFilePath: f.key,
    tlsTrustCertsFilePath: f.ca,
    tlsAllowInsecureConnection: 'false',
    tlsRequireTrustedClientCertOnConnect: 'false',
    authenticationEnabled: 'true',
    authenticationProviders: 'org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
    tokenSecretKey: `file://${f.secret}`,
    authorizationEnabled: 'true',
    superUserRoles: 'admin',
    // The broker's own client (standalone sets up public/default and system topics through it).
    brokerClientAuthenticationPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
    brokerClientAuthenticationParameters: `file://${admin.file}`,
    brokerClientTrustCertsFilePath: f.ca,
  };

  return {
    dir: root,
    caFile: f.ca,
    caKeyFile: f.caKey,
    certFile: f.cert,
    keyFile: f.key,
    secretKeyFile: f.secret,
    adminToken: admin.token,
    adminTokenFile: admin.file,
    tokens: { admin, producerOnly, noPermission, expired },
    ports,
    confOverrides,
    generated,
  };
}

/** Render overrides as broker.conf lines (appended after the distribution's standalone.conf). */
export function confLines(overrides: Record<string, string>): string {
  return (
    Object.entries(overrides)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new ProcessError('the `openssl` command is needed to create TLS certificates and was not found', {
      hint: 'Install OpenSSL (e.g. `apt-get install openssl`), or run the broker without --secure.',
    });
  }
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ');
    throw new ProcessError(`openssl ${args[0]} failed: ${last}`, { hint: 'Check that the directory is writable; delete it to start over.' });
  }
}

function daysLeft(certFile: string): number {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000;
  } catch {
    return -1;
  }
}

function coversHosts(certFile: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return hosts.every((h) => cert.checkHost(h) !== undefined) && cert.checkIP('127.0.0.1') !== undefined;
  } catch {
    return false;
  }
}
