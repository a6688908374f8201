/** Entry for bench/run-all.mjs: the client benchmark (see client-bench.mjs). */
import { runClientBench } from './client-bench.mjs';

export async function run(opts = {}) {
  return runClientBench(opts);
}

export { runClientBench };

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await run());
}
