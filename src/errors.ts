/**
 * The error vocabulary of miso. A `MisoError` is something the user can fix: it carries a
 * one-line message and the next step. Anything else that escapes is a bug and is rendered
 * with its stack. Every layer may import this module; it imports nothing.
 */
export class MisoError extends Error {
  /** What the user should do next, one short sentence. */
  readonly hint: string | undefined;
  /** Whether retrying the same operation later can succeed (a broker restart, a timeout). */
  readonly retriable: boolean;
  /** Process exit code when this error ends a command. */
  readonly exitCode: number;

  constructor(message: string, opts: { hint?: string; retriable?: boolean; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.retriable = opts.retriable ?? false;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Bad input from the user: a flag, a field, a file. Exit code 2, like a usage error. */
export class UsageError extends MisoError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: 2 });
  }
}

/** Configuration that cannot be used: malformed URL, unknown profile, unreadable token file. */
export class ConfigError extends MisoError {}

/** The broker (binary or admin port) cannot be reached. */
export class UnreachableError extends MisoError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, retriable: true });
  }
}

/** The broker refused our credentials (401) or our permissions (403). */
export class AuthError extends MisoError {}

/** A local process (the broker, a service) could not be started or stopped. */
export class ProcessError extends MisoError {}

/** Something we waited for did not happen in time. */
export class TimeoutError extends MisoError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, retriable: true });
  }
}

export function isMisoError(err: unknown): err is MisoError {
  return err instanceof MisoError;
}
