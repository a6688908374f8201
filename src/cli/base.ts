import { Command, Flags, Errors, type Interfaces } from '@oclif/core';
import { resolveConfig, type ResolvedConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { Output } from '../ui/output.js';
import { formatError, exitCodeOf, oneLineOclifMessage } from '../ui/errors.js';

export type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/** Flags every command takes; errors rendered in one place. */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    profile: Flags.string({ description: 'use this profile for this command only (see `miso config list`)', helpGroup: 'GLOBAL' }),
    json: Flags.boolean({ description: 'print JSON for machines instead of human output', helpGroup: 'GLOBAL' }),
    verbose: Flags.boolean({ char: 'v', description: 'print diagnostic detail on stderr (tokens stay masked)', helpGroup: 'GLOBAL' }),
  };

  protected out!: Output;

  override async init(): Promise<void> {
    await super.init();
    // Peek at the global flags before full parsing so errors during parsing render right too.
    const argv = this.argv;
    this.out = new Output({ json: argv.includes('--json'), verbose: argv.includes('--verbose') || argv.includes('-v') });
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // this.exit() and oclif's own exits pass through untouched.
    if (err instanceof Errors.ExitError) throw err;
    let shown: unknown = err;
    if (err instanceof Errors.CLIError || (err as { parse?: unknown }).parse !== undefined) {
      // oclif parse errors (unknown flag, missing arg) become one line with a next step.
      shown = new UsageError(oneLineOclifMessage(String(err.message)), { hint: `Run \`miso ${this.id?.replace(/:/g, ' ') ?? ''} --help\` for usage.` });
    }
    process.stderr.write(formatError(shown, { verbose: this.out?.verbose }) + '\n');
    process.exitCode = exitCodeOf(shown);
    return this.exit(exitCodeOf(shown));
  }
}

/** Commands that talk to a Pulsar cluster: connection flags resolved with env, profile and defaults. */
export abstract class ConnectedCommand extends BaseCommand {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    'service-url': Flags.string({ description: 'Pulsar binary URL, pulsar://host:6650 or pulsar+ssl://host:6651', helpGroup: 'CONNECTION' }),
    'admin-url': Flags.string({ description: 'Pulsar admin URL, http://host:8080', helpGroup: 'CONNECTION' }),
    token: Flags.string({ description: 'JWT token for authentication (prefer --token-file)', helpGroup: 'CONNECTION' }),
    'token-file': Flags.string({ description: 'file holding the JWT token', helpGroup: 'CONNECTION' }),
    tenant: Flags.string({ description: 'Pulsar tenant', helpGroup: 'CONNECTION' }),
    namespace: Flags.string({ description: 'Pulsar namespace', helpGroup: 'CONNECTION' }),
    'tls-trust-certs': Flags.string({ description: 'CA certificate file trusted for TLS', helpGroup: 'CONNECTION' }),
    'tls-allow-insecure': Flags.boolean({ description: 'accept any TLS certificate (local use only)', helpGroup: 'CONNECTION' }),
  };

  /** Resolve flags > env > profile > defaults. */
  protected settingsFrom(flags: Record<string, unknown>): ResolvedConfig {
    return resolveConfig({
      profile: flags.profile as string | undefined,
      serviceUrl: flags['service-url'] as string | undefined,
      adminUrl: flags['admin-url'] as string | undefined,
      token: flags.token as string | undefined,
      tokenFile: flags['token-file'] as string | undefined,
      tenant: flags.tenant as string | undefined,
      namespace: flags.namespace as string | undefined,
      tlsTrustCertsFile: flags['tls-trust-certs'] as string | undefined,
      tlsAllowInsecure: (flags['tls-allow-insecure'] as boolean | undefined) || undefined,
    });
  }
}
