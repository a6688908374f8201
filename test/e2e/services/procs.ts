import { spawn, type ChildProcess } from 'node:child_process';
import { MISO_BIN } from '../../support/cli.js';

/** A service started as `miso run <service>` in its own process, as in production. */
export interface ServiceProcess {
  service: string;
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  /** SIGTERM and wait: the graceful path. */
  stop(): Promise<number | null>;
  /** kill -9: no cleanup at all. */
  kill9(): Promise<void>;
}

export async function startServiceProcess(service: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [MISO_BIN, 'run', service, '--json', '--port', '0', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start in ${timeoutMs} ms\n${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const ev = JSON.parse(line) as { event?: string; url?: string };
        if (ev.event === 'started' && ev.url) {
          clearTimeout(timer);
          resolve(ev.url);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before starting\n${err}`));
    });
  });
  return {
    service,
    child,
    url,
    stderr: () => err,
    stdout: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
