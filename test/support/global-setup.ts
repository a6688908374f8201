import { TEST_ADMIN_URL } from './env.js';

/**
 * One broker per test run. A broker that already answers (a developer's `miso broker up`,
 * or the one `.ci/run` started) is reused; otherwise one is started here and stopped after.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (await answers(TEST_ADMIN_URL)) return async () => {};
  const { startSharedBroker } = await import('./broker.js');
  return startSharedBroker();
}

async function answers(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/clusters`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}
