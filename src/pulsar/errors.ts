/**
 * Errors of the Pulsar client. Every class extends a `MisoError` kind (so the one error
 * renderer knows how to show it) and carries `retriable`: true when the same operation can
 * succeed later without the user changing anything (broker restarting, a timeout).
 */
import { AuthError, MisoError, TimeoutError, UnreachableError } from '../errors.js';

const UP_HINT = 'Start it with `miso broker up` or check --service-url.';
const TOKEN_HINT = 'Check the token (--token / --token-file or the profile) and its permissions on this tenant/namespace.';

// ---------------------------------------------------------------------------------------
// Protocol (bytes on the wire that do not make sense). These indicate a broken peer or a
// corrupt stream; the connection that sees them is closed and re-established.

export class ProtocolError extends MisoError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, {
      hint: opts.hint ?? 'The broker sent data miso cannot read; check that --service-url points at a Pulsar broker.',
      retriable: true,
      cause: opts.cause,
    });
  }
}

/** A frame announced a size above the negotiated maximum (or below the minimum). */
export class FrameTooLargeError extends ProtocolError {}

/** A frame or protobuf message ended before its declared length. */
export class MalformedFrameError extends ProtocolError {}

/** CRC32C over metadata + payload did not match. */
export class ChecksumMismatchError extends ProtocolError {}

/** A BaseCommand type this client does not know at all. */
export class UnknownCommandError extends ProtocolError {
  constructor(readonly commandType: number) {
    super(`the broker sent an unknown command type ${commandType}`);
  }
}

// ---------------------------------------------------------------------------------------
// Connection

/** Nobody listens at the service URL (refused, DNS failure, unreachable network). */
export class BrokerUnreachableError extends UnreachableError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { hint: opts.hint ?? UP_HINT, cause: opts.cause });
  }
}

/** The connection went away while an operation was in flight. */
export class ConnectionClosedError extends MisoError {
  constructor(message = 'the connection to the broker was closed', opts: { cause?: unknown } = {}) {
    super(message, { hint: 'Retry; miso reconnects automatically when the broker is back.', retriable: true, cause: opts.cause });
  }
}

/** TLS could not be established (untrusted certificate, hostname mismatch, handshake failure). */
export class TlsError extends MisoError {
  /** Node's TLS error code (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, …) when known. */
  readonly code: string;
  constructor(message: string, opts: { cause?: unknown; hint?: string; code?: string } = {}) {
    super(message, {
      hint: opts.hint ?? 'Pass the CA that signed the broker certificate with --tls-trust-certs, or --tls-allow-insecure for a local broker.',
      cause: opts.cause,
    });
    this.code = opts.code ?? 'TLS';
  }
}

/**
 * What went wrong in a TLS handshake, in miso's words (Node's messages advise Node's own
 * flags). One wording for the binary port and the admin port.
 */
export function describeTlsFailure(err: NodeJS.ErrnoException): { code: string; what: string; hint: string } {
  const code = err.code ?? 'TLS';
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return { code, what: 'its certificate has expired', hint: 'Renew the broker certificate (`miso broker up --secure` regenerates local material).' };
    case 'CERT_NOT_YET_VALID':
      return { code, what: 'its certificate is not valid yet', hint: 'Check the clock on this machine and on the broker.' };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return {
        code,
        what: `its certificate does not name this host (${err.message.replace(/^.*?:\s*/, '')})`,
        hint: 'Connect with the host name the certificate was issued for.',
      };
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'EPROTO':
      return {
        code,
        what: 'the TLS handshake failed (is this port plain TCP/HTTP rather than TLS?)',
        hint: 'Use the TLS port with https:// or pulsar+ssl://, the plain port with http:// or pulsar://.',
      };
    default:
      return {
        code,
        what: `its certificate is not trusted (${code})`,
        hint: 'Pass the CA that signed it with --tls-trust-certs <ca.pem> (or PULSAR_TLS_TRUST_CERTS_FILE).',
      };
  }
}

/** A TLS failure reaching `target`, typed and worded for the user. */
export function tlsFailure(err: NodeJS.ErrnoException, target: string): TlsError {
  const d = describeTlsFailure(err);
  return new TlsError(`TLS connection to ${target} refused: ${d.what}`, { code: d.code, hint: d.hint, cause: err });
}

/** A request did not get its answer in time. */
export class OperationTimeoutError extends TimeoutError {}

// ---------------------------------------------------------------------------------------
// Broker-side ServerError codes (PulsarApi.proto `enum ServerError`).

export const ServerErrorCode = {
  UnknownError: 0,
  MetadataError: 1,
  PersistenceError: 2,
  AuthenticationError: 3,
  AuthorizationError: 4,
  ConsumerBusy: 5,
  ServiceNotReady: 6,
  ProducerBlockedQuotaExceededError: 7,
  ProducerBlockedQuotaExceededException: 8,
  ChecksumError: 9,
  UnsupportedVersionError: 10,
  TopicNotFound: 11,
  SubscriptionNotFound: 12,
  ConsumerNotFound: 13,
  TooManyRequests: 14,
  TopicTerminatedError: 15,
  ProducerBusy: 16,
  InvalidTopicName: 17,
  IncompatibleSchema: 18,
  ConsumerAssignError: 19,
  TransactionCoordinatorNotFound: 20,
  InvalidTxnStatus: 21,
  NotAllowedError: 22,
  TransactionConflict: 23,
  TransactionNotFound: 24,
  ProducerFenced: 25,
} as const;

export type ServerErrorName = keyof typeof ServerErrorCode;

const serverErrorNames: Record<number, ServerErrorName> = Object.fromEntries(Object.entries(ServerErrorCode).map(([k, v]) => [v, k as ServerErrorName]));

export function serverErrorName(code: number | undefined): ServerErrorName {
  return (code !== undefined && serverErrorNames[code]) || 'UnknownError';
}

/** An error the broker answered with. `serverError` is the protocol code name. */
export class BrokerError extends MisoError {
  constructor(
    message: string,
    readonly serverError: ServerErrorName,
    opts: { hint?: string; retriable?: boolean } = {},
  ) {
    super(message, opts);
  }
}

export class BrokerAuthenticationError extends AuthError {
  readonly serverError = 'AuthenticationError' as const;
  constructor(message: string) {
    super(message, { hint: TOKEN_HINT });
  }
}

export class BrokerAuthorizationError extends AuthError {
  readonly serverError = 'AuthorizationError' as const;
  constructor(message: string) {
    super(message, { hint: TOKEN_HINT });
  }
}

export class TopicNotFoundError extends BrokerError {}
export class SubscriptionNotFoundError extends BrokerError {}
export class ProducerBusyError extends BrokerError {}
export class ConsumerBusyError extends BrokerError {}
export class IncompatibleSchemaError extends BrokerError {}
export class TopicTerminatedError extends BrokerError {}
export class InvalidTopicNameError extends BrokerError {}
export class ServiceNotReadyError extends BrokerError {}
export class TooManyRequestsError extends BrokerError {}
export class ProducerBlockedError extends BrokerError {}
export class ProducerFencedError extends BrokerError {}

/** Build the typed error for a broker ServerError code; `context` says what we were doing. */
export function brokerError(code: number | undefined, brokerMessage: string | undefined, context: string): MisoError {
  const name = serverErrorName(code);
  const detail = brokerMessage && brokerMessage.trim() !== '' ? `: ${brokerMessage.trim()}` : '';
  const msg = `${context} failed (${name})${detail}`;
  switch (name) {
    case 'AuthenticationError':
      return new BrokerAuthenticationError(`${context}: the broker rejected the credentials${detail}`);
    case 'AuthorizationError':
      return new BrokerAuthorizationError(`${context}: not authorized${detail}`);
    case 'TopicNotFound':
      return new TopicNotFoundError(msg, name, { hint: 'Create the topic first (`miso init`), or check tenant/namespace and the topic name.' });
    case 'SubscriptionNotFound':
      return new SubscriptionNotFoundError(msg, name, { hint: 'Check the subscription name; it is created by the first subscribe.' });
    case 'ProducerBusy':
      return new ProducerBusyError(msg, name, {
        hint: 'Another producer with this name is connected to the topic; stop it or use another producer name.',
        // A reconnecting producer can meet its own stale registration for a moment.
        retriable: true,
      });
    case 'ConsumerBusy':
      return new ConsumerBusyError(msg, name, {
        hint: 'An exclusive consumer already holds this subscription; stop it, or use a Shared/Failover/Key_Shared subscription.',
        retriable: true,
      });
    case 'IncompatibleSchema':
      return new IncompatibleSchemaError(msg, name, {
        hint: "The schema does not match the topic's schema under its compatibility policy; see `miso schemas`.",
      });
    case 'TopicTerminatedError':
      return new TopicTerminatedError(msg, name, { hint: 'The topic was terminated and accepts no more messages; use a new topic.' });
    case 'InvalidTopicName':
      return new InvalidTopicNameError(msg, name, { hint: 'Use persistent://tenant/namespace/name.' });
    case 'ServiceNotReady':
    case 'MetadataError':
    case 'PersistenceError':
    case 'UnknownError':
      return new ServiceNotReadyError(msg, name, { hint: 'The broker is starting or busy; retry in a moment.', retriable: true });
    case 'TooManyRequests':
      return new TooManyRequestsError(msg, name, { hint: 'The broker is throttling; retry in a moment.', retriable: true });
    case 'ProducerBlockedQuotaExceededError':
    case 'ProducerBlockedQuotaExceededException':
      return new ProducerBlockedError(msg, name, { hint: 'The topic backlog quota is full; consume or expire messages.', retriable: true });
    case 'ProducerFenced':
      return new ProducerFencedError(msg, name, { hint: 'Another producer took exclusive access to the topic.' });
    default:
      return new BrokerError(msg, name);
  }
}

// ---------------------------------------------------------------------------------------
// Client usage

/** The producer/consumer/reader/client was closed; the operation cannot proceed. */
export class AlreadyClosedError extends MisoError {
  constructor(what: string) {
    super(`the ${what} is closed`, { hint: 'Create a new one.' });
  }
}

/** A message larger than the broker accepts. */
export class MessageTooLargeError extends MisoError {
  constructor(size: number, max: number) {
    super(`message of ${size} bytes exceeds the broker maximum of ${max} bytes`, { hint: 'Send smaller messages.' });
  }
}

/** A send was not confirmed by the broker within sendTimeoutMs. */
export class SendTimeoutError extends TimeoutError {}
