/**
 * HTTP transport for the Pulsar admin REST API, and the errors it raises.
 *
 * Built on `node:http` / `node:https` rather than `fetch` because a private CA (`ca`) and
 * `rejectUnauthorized` are plain request options there. Follows 307/308 redirects (a
 * multi-broker cluster redirects namespace calls to the owning broker) and turns every
 * failure into a typed error with a next step:
 *
 *   connection refused / unknown host  → UnreachableError
 *   certificate not trusted / expired  → AdminTlsError (a TlsError, as the binary client raises)
 *   no answer within timeoutMs         → TimeoutError
 *   401 / 403                          → AdminAuthError (an AuthError)
 *   404 / 409                          → NotFoundError / ConflictError (AdminErrors)
 *   anything else ≥ 400                → AdminError
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { AuthError, ConfigError, MisoError, TimeoutError, UnreachableError } from '../errors.js';
import { TlsError, describeTlsFailure } from './errors.js';
import { expiredAt } from './admin-jwt.js';

export interface AdminConnectionOptions {
  /** http://host:8080 or https://host:8443 */
  adminUrl: string;
  /** JWT sent as `Authorization: Bearer …`. */
  token?: string;
  /** PEM file with the CA(s) to trust for https. */
  tlsTrustCertsFile?: string;
  /** Accept any certificate (local use only). */
  tlsAllowInsecure?: boolean;
  /** Per request, including redirects. Default 15 s. */
  timeoutMs?: number;
}

/** The broker answered with an error status. `reason` is the broker's own message. */
export class AdminError extends MisoError {
  readonly status: number;
  readonly reason: string;
  constructor(message: string, opts: { status: number; reason: string; hint?: string; retriable?: boolean; cause?: unknown }) {
    super(message, opts);
    this.status = opts.status;
    this.reason = opts.reason;
  }
}

/** 404: the tenant, namespace, topic, subscription or schema does not exist. */
export class NotFoundError extends AdminError {}

/** 409: it exists already. */
export class ConflictError extends AdminError {}

/**
 * The broker refused the call for who we are: `credentials` (no token, a bad or expired one)
 * or `permission` (the token is fine, its role may not do this). Pulsar answers some
 * permission failures with 401 "Unauthorized to …" rather than 403, hence `kind`.
 */
export class AdminAuthError extends AuthError {
  readonly status: number;
  readonly reason: string;
  readonly kind: 'credentials' | 'permission';
  constructor(message: string, opts: { status: number; reason: string; kind: 'credentials' | 'permission'; hint?: string }) {
    super(message, { hint: opts.hint });
    this.status = opts.status;
    this.reason = opts.reason;
    this.kind = opts.kind;
  }
}

/**
 * The TLS handshake with the admin port failed: certificate not trusted, expired, or for
 * another host. A TlsError like the binary client's, with a hint that fits the cause.
 */
export class AdminTlsError extends TlsError {}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Turn a socket/TLS error into the typed error a user can act on. */
export function networkError(err: NodeJS.ErrnoException, target: string, what: string): MisoError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') {
    return new UnreachableError(`cannot reach the Pulsar admin API at ${target} (connection refused)`, {
      hint: 'Start it with `miso broker up` or check --admin-url.',
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UnreachableError(`cannot resolve the admin host in ${target} (${code})`, {
      hint: 'Check the host name in --admin-url / PULSAR_ADMIN_URL.',
      cause: err,
    });
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(err.message)) {
    return new UnreachableError(`connection to the admin API at ${target} failed while trying to ${what} (${code || err.message})`, {
      hint: 'Check that the broker is running and that --admin-url names its http(s) port (http vs https).',
      cause: err,
    });
  }
  if (code.startsWith('HPE_') || /Parse Error/.test(err.message)) {
    return new UnreachableError(`${target} did not answer with HTTP (is it a TLS port? then use https://)`, {
      hint: 'Check --admin-url: https:// for the TLS port (8443), http:// for the plain one (8080).',
      cause: err,
    });
  }
  if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(err.message)) {
    return tlsError(err, target);
  }
  return new UnreachableError(`cannot reach the Pulsar admin API at ${target}: ${err.message}`, {
    hint: 'Check --admin-url and that the broker is running.',
    cause: err,
  });
}

export function tlsError(err: NodeJS.ErrnoException, target: string): AdminTlsError {
  const d = describeTlsFailure(err);
  return new AdminTlsError(`TLS connection to ${target} refused: ${d.what}`, { code: d.code, hint: d.hint, cause: err });
}

/** The broker's own explanation, from `{"reason": …}`, a Jetty HTML page, or plain text. */
export function brokerReason(body: string, contentType: string | undefined): string {
  let text = body.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { reason?: unknown; message?: unknown };
      if (typeof parsed.reason === 'string') text = parsed.reason;
      else if (typeof parsed.message === 'string') text = parsed.message;
    } catch {
      /* not JSON after all: keep the text */
    }
  } else if ((contentType ?? '').includes('html') || text.startsWith('<')) {
    const title = /<title>([\s\S]*?)<\/title>/i.exec(text)?.[1] ?? text.replace(/<[^>]+>/g, ' ');
    text = decodeEntities(title).replace(/^Error \d{3}\s*/, '');
  }
  // A server-side exception: keep its message, drop the stack trace.
  const m = /---\s*An unexpected error occurred in the server\s*---\s*Message:\s*([\s\S]*?)(\n\s*\n|Stacktrace:|$)/.exec(text);
  if (m?.[1]) text = m[1];
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 240 ? `${text.slice(0, 237)}…` : text;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface AdminResponse {
  status: number;
  contentType: string | undefined;
  body: string;
}

export interface RequestOptions {
  /** Sent JSON-encoded (a string becomes a JSON string, as the policy endpoints expect). */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** What the call does, in words, for error messages: "create tenant acme". */
  what: string;
}

/** One admin endpoint: authenticated, TLS-aware, with timeouts and typed errors. */
export class AdminHttp {
  readonly adminUrl: string;
  private readonly base: URL;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly tlsAllowInsecure: boolean;
  private readonly tlsTrustCertsFile: string | undefined;
  private ca: Buffer | undefined;

  constructor(opts: AdminConnectionOptions) {
    try {
      this.base = new URL(opts.adminUrl);
    } catch {
      throw new ConfigError(`malformed admin URL "${opts.adminUrl}"`, { hint: 'Expected http://host:8080 or https://host:8443.' });
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new ConfigError(`admin URL "${opts.adminUrl}" must start with http:// or https://`, { hint: 'Expected http://host:8080 or https://host:8443.' });
    }
    this.adminUrl = opts.adminUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.tlsAllowInsecure = opts.tlsAllowInsecure ?? false;
    this.tlsTrustCertsFile = opts.tlsTrustCertsFile;
  }

  private caPem(): Buffer | undefined {
    if (!this.tlsTrustCertsFile) return undefined;
    if (!this.ca) {
      try {
        this.ca = readFileSync(this.tlsTrustCertsFile);
      } catch (err) {
        throw new ConfigError(`cannot read the TLS trust file ${this.tlsTrustCertsFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
          hint: 'Check the path given by --tls-trust-certs or PULSAR_TLS_TRUST_CERTS_FILE.',
        });
      }
    }
    return this.ca;
  }

  /** Send one request; returns the response for 2xx, throws a typed error otherwise. */
  async request(method: string, path: string, opts: RequestOptions): Promise<AdminResponse> {
    let url = new URL(this.base.pathname.replace(/\/+$/, '') + path, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const deadline = Date.now() + this.timeoutMs;
    for (let hop = 0; ; hop++) {
      const res = await this.once(method, url, body, deadline, opts.what);
      if ((res.status === 307 || res.status === 308) && res.location && hop < 5) {
        url = new URL(res.location, url);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      throw this.statusError(res, opts.what);
    }
  }

  /** GET returning parsed JSON, `undefined` for an empty body (an unset policy). */
  async getJson<T>(path: string, what: string, query?: RequestOptions['query']): Promise<T | undefined> {
    const res = await this.request('GET', path, { what, query });
    return parseJson<T>(res, what);
  }

  private once(method: string, url: URL, body: string | undefined, deadline: number, what: string): Promise<AdminResponse & { location?: string }> {
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const options: https.RequestOptions = { method, headers, agent: false };
    if (secure) {
      const ca = this.caPem();
      if (ca) options.ca = ca;
      options.rejectUnauthorized = !this.tlsAllowInsecure;
    }
    const target = `${url.protocol}//${url.host}`;
    const remaining = Math.max(1, deadline - Date.now());
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(networkError(err, target, what)));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
            ...(res.headers.location ? { location: res.headers.location } : {}),
          });
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(
          new TimeoutError(`the admin API at ${target} did not answer within ${Math.round(this.timeoutMs / 1000)} s (${what})`, {
            hint: 'Check that the broker is healthy (`miso broker status`, `miso doctor`); it may still be starting.',
          }),
        );
      }, remaining);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(networkError(err, target, what));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private statusError(res: AdminResponse, what: string): MisoError {
    const reason = brokerReason(res.body, res.contentType) || http.STATUS_CODES[res.status] || 'no reason given';
    const status = res.status;
    const permission = status === 403 || (status === 401 && /^Unauthorized to\b|not authorized/i.test(reason));
    if (permission) {
      return new AdminAuthError(`the token is valid but lacks permission to ${what} (${status}: ${reason})`, {
        status,
        reason,
        kind: 'permission',
        hint: 'Use a token whose role is a superuser or an admin of the tenant, or have an administrator grant the permission.',
      });
    }
    const expired = status === 401 && this.token ? expiredAt(this.token) : undefined;
    if (expired) {
      return new AdminAuthError(`the broker refused the token to ${what}: it expired at ${expired.toISOString()}`, {
        status,
        reason,
        kind: 'credentials',
        hint: 'Get a new token and pass it with --token-file or PULSAR_TOKEN (or update the profile).',
      });
    }
    if (status === 401) {
      return new AdminAuthError(`the broker refused the credentials to ${what} (401: ${reason})`, {
        status,
        reason,
        kind: 'credentials',
        hint: this.token
          ? 'check the token (--token/--token-file/PULSAR_TOKEN): it may be expired, malformed or signed with another key.'
          : 'the broker requires authentication: pass a token with --token/--token-file or PULSAR_TOKEN.',
      });
    }
    const message = `cannot ${what}: ${reason} (HTTP ${status})`;
    if (status === 404)
      return new NotFoundError(message, { status, reason, hint: 'Run `miso init` to create the tenant, namespace and topics, or check --tenant/--namespace.' });
    if (status === 409) return new ConflictError(message, { status, reason });
    if (status === 412)
      return new AdminError(message, { status, reason, hint: 'The broker refused the request as given; check the names and the cluster it runs.' });
    if (status === 405) return new AdminError(message, { status, reason, hint: 'The broker configuration does not allow this operation.' });
    if (status >= 500)
      return new AdminError(message, { status, reason, retriable: true, hint: 'The broker failed internally; check its log (`miso broker logs`) and retry.' });
    return new AdminError(message, { status, reason });
  }
}

export function parseJson<T>(res: AdminResponse, what: string): T | undefined {
  const text = res.body.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new AdminError(`cannot ${what}: the broker answered with something that is not JSON`, { status: res.status, reason: text.slice(0, 120), cause: err });
  }
}
