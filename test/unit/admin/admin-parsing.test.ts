import { describe, expect, it } from 'vitest';
import { brokerReason, networkError, AdminTlsError } from '../../../src/pulsar/admin-http.js';
import { TlsError } from '../../../src/pulsar/errors.js';
import { parseNamespace, parseTopic } from '../../../src/pulsar/admin.js';
import { UnreachableError, UsageError } from '../../../src/errors.js';

describe('brokerReason', () => {
  it('takes the reason field of a JSON error', () => {
    expect(brokerReason('{"reason":"Tenant does not exist"}', 'application/json')).toBe('Tenant does not exist');
  });

  it('keeps the message of a server exception and drops its stack', () => {
    const body = JSON.stringify({
      reason:
        '\n --- An unexpected error occurred in the server ---\n\nMessage: Error during schema compatibility check with strategy BACKWARD_TRANSITIVE: boom\n\nStacktrace:\n\nat a.b.C(C.java:1)\n',
    });
    expect(brokerReason(body, 'application/json')).toBe('Error during schema compatibility check with strategy BACKWARD_TRANSITIVE: boom');
  });

  it('reads the title of a Jetty HTML error page, entities decoded, whitespace folded', () => {
    const html = '<html><head><title>Error 409 Incompatible: {\n  &quot;type&quot; : &quot;record&quot;\n}</title></head><body>…</body></html>';
    expect(brokerReason(html, 'text/html;charset=ISO-8859-1')).toBe('Incompatible: { "type" : "record" }');
  });

  it('shortens very long reasons to one readable line', () => {
    const r = brokerReason(JSON.stringify({ reason: 'x'.repeat(1000) }), 'application/json');
    expect(r.length).toBeLessThanOrEqual(240);
    expect(r.endsWith('…')).toBe(true);
  });
});

describe('names', () => {
  it('parses full and short topic names', () => {
    expect(parseTopic('persistent://t/ns/a-b')).toEqual({ domain: 'persistent', tenant: 't', namespace: 'ns', local: 'a-b', full: 'persistent://t/ns/a-b' });
    expect(parseTopic('t/ns/x').full).toBe('persistent://t/ns/x');
    expect(parseTopic('non-persistent://t/ns/x').domain).toBe('non-persistent');
    expect(() => parseTopic('just-a-name')).toThrow(UsageError);
    expect(() => parseTopic('persistent://t/ns/a/b')).toThrow(UsageError);
  });

  it('parses namespaces as strings or scopes', () => {
    expect(parseNamespace('t/ns')).toMatchObject({ tenant: 't', namespace: 'ns' });
    expect(parseNamespace({ tenant: 't', namespace: 'ns' }).path).toBe('t/ns');
    expect(() => parseNamespace('t')).toThrow(UsageError);
    expect(() => parseNamespace('t/ns/x')).toThrow(UsageError);
  });
});

describe('networkError', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('turns refused connections into UnreachableError with a next step', () => {
    const e = networkError(err('ECONNREFUSED'), 'http://h:1', 'list tenants');
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.hint).toMatch(/miso broker up/);
  });

  it('explains certificate problems as TLS errors', () => {
    const untrusted = networkError(err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'https://h:8443', 'x');
    expect(untrusted).toBeInstanceOf(AdminTlsError);
    expect(untrusted).toBeInstanceOf(TlsError);
    expect(untrusted.message).toMatch(/not trusted/);
    expect(untrusted.hint).toMatch(/--tls-trust-certs/);
    const expired = networkError(err('CERT_HAS_EXPIRED', 'certificate has expired'), 'https://h:8443', 'x');
    expect(expired.message).toMatch(/expired/);
    const wrongHost = networkError(
      err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: other."),
      'https://other:8443',
      'x',
    );
    expect(wrongHost.message).toMatch(/does not name this host/);
  });
});
