/** Reading tools measured as they print: messages counted in a pipe as they arrive. */
import { spawn } from 'node:child_process';

/**
 * Run a reading tool with its stdout in a pipe, counting messages as they arrive: `count(chunk)`
 * returns how many message starts a chunk holds. Returns the start-up (spawn → first message),
 * the steady span (first message → last) and the number of messages seen. A tool still
 * reading after `capMs` is stopped (`capped: true`): its rate is then the rate of what it
 * read until then, which bounds the run's time on a slow machine.
 */
export function streamed(cmd, args, count, env = {}, capMs = Infinity) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Its own process group, so the cap stops a launcher script and what it started alike.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1', ...env } });
    let capped = false;
    const stop = () => {
      capped = true;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    const cap = Number.isFinite(capMs) ? setTimeout(stop, capMs) : undefined;
    let seen = 0;
    let first;
    let last;
    let err = '';
    child.stdout.on('data', (d) => {
      const n = count(d);
      if (n === 0) return;
      const now = performance.now();
      if (seen === 0) first = now;
      seen += n;
      last = now;
    });
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(cap);
      if (capped) return resolve({ seen, startupMs: first - t0, steadyMs: last - first, totalMs: performance.now() - t0, capped: true });
      if (code !== 0) return reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.slice(-500)}`));
      resolve({ seen, startupMs: first - t0, steadyMs: last - first, totalMs: performance.now() - t0, capped: false });
    });
  });
}

/** Lines (one JSON message each) in a chunk. */
export function countLines(chunk) {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** `----- got message -----` markers of `pulsar-client read` (a marker split across chunks counted once). */
export function markerCounter() {
  const marker = Buffer.from('----- got message -----');
  let carry = Buffer.alloc(0);
  return (chunk) => {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let n = 0;
    let i = buf.indexOf(marker);
    let end = 0;
    while (i !== -1) {
      n++;
      end = i + marker.length;
      i = buf.indexOf(marker, end);
    }
    // Keep the tail that could hold the start of a split marker.
    carry = Buffer.from(buf.subarray(Math.max(end, buf.length - marker.length + 1)));
    return n;
  };
}
