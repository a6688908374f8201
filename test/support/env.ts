import { randomBytes } from 'node:crypto';
import { TimeoutError } from '../../src/errors.js';
import { waitFor } from '../../src/util/wait.js';

/** Where the test broker listens; global-setup starts one there or reuses the one that answers. */
export const TEST_SERVICE_URL = process.env.MISO_TEST_SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
export const TEST_ADMIN_URL = process.env.MISO_TEST_ADMIN_URL ?? 'http://127.0.0.1:8080';

/** A name no other test (or earlier run) uses: topics, subscriptions, tenants. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A topic in public/default with a fresh name (auto-created by the broker on first use unless the test creates it). */
export function uniqueTopic(prefix = 'topic'): string {
  return `persistent://public/default/${uniqueName(prefix)}`;
}

/** Like waitUntil, but answers whether the condition came true in time instead of throwing (for tests that report). */
export async function eventually(check: () => unknown, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
  return waitUntil(async () => Boolean(await check()), opts).then(
    () => true,
    () => false,
  );
}

/** Under CI a missing peer fails its tests instead of skipping them (see peers.ts). */
export const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

/**
 * Poll until `check` returns a truthy value; no sleeps sprinkled through tests. A check that
 * throws counts as "not yet"; its last error is named if the time runs out.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  let lastErr: unknown;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  try {
    return await waitFor(
      async () => {
        try {
          const v = await check();
          return v ? (v as NonNullable<T>) : undefined;
        } catch (err) {
          lastErr = err;
          return undefined;
        }
      },
      { timeoutMs, intervalMs: opts.intervalMs ?? 50, what: opts.what ?? 'condition' },
    );
  } catch (err) {
    if (err instanceof TimeoutError)
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${lastErr ? `: ${String(lastErr)}` : ''}`, { cause: err });
    throw err;
  }
}
