/** Run a tool to its end and keep what it printed; the caller checks the exit code. */
import { spawn } from 'node:child_process';

export function runTool(cmd, args, { timeoutMs = 300_000, env = {}, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    const take = (d) => {
      out += d;
      if (!onLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const l of lines) onLine(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, out });
    });
  });
}

/** Throw with the tail of the output unless the tool exited 0. */
export function requireSuccess(what, r) {
  if (r.timedOut) throw new Error(`${what} did not finish in time (killed):\n${tail(r.out)}`);
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code ?? r.signal}:\n${tail(r.out)}`);
}

export const tail = (s, n = 1500) => String(s).slice(-n);
