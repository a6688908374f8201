/** Placeholder until the broker lifecycle module lands: tells the developer what to run. */
export async function startTestBroker(): Promise<() => Promise<void>> {
  throw new Error('no broker answers at the test admin URL; start one with `node bin/miso.js broker up`');
}
