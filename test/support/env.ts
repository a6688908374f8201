import { randomBytes } from 'node:crypto';

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

/** Poll until `check` returns a truthy value; no sleeps sprinkled through tests. */
export async function waitUntil<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
