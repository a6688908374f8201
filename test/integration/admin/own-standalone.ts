import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { confLines } from '../../../src/broker/secure.js';
import { pulsarHome } from './pulsar-dist.js';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface OwnStandalone {
  servicePort: number;
  webPort: number;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * A Pulsar standalone of this test's own (own ports, own data directory), so a test can
 * change broker settings without touching the shared development broker.
 * `ready` decides when it is usable (the admin API answers before the cluster is registered).
 */
export async function startOwnStandalone(dir: string, overrides: Record<string, string>, ready: (webPort: number) => Promise<boolean>, timeoutMs = 150_000): Promise<OwnStandalone> {
  const home = pulsarHome();
  if (!home) throw new Error('no Pulsar distribution found in the miso cache');
  mkdirSync(dir, { recursive: true });
  const [servicePort, webPort, bkPort] = [await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'standalone.conf');
  const base = readFileSync(join(home, 'conf', 'standalone.conf'), 'utf8');
  writeFileSync(conf, `${base}\n${confLines({
    ...overrides,
    brokerServicePort: String(servicePort),
    webServicePort: String(webPort),
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
  })}`);
  const logFile = join(dir, 'broker.out');
  const { openSync, closeSync } = await import('node:fs');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(join(home, 'bin', 'pulsar'), [
    'standalone', '-nfw', '-nss', '-c', conf,
    '--bookkeeper-dir', join(dir, 'bookkeeper'), '--metadata-dir', join(dir, 'metadata'), '--bookkeeper-port', String(bkPort),
  ], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PULSAR_MEM: '-Xms128m -Xmx512m -XX:MaxDirectMemorySize=512m', PULSAR_LOG_DIR: join(dir, 'logs') },
  });
  closeSync(log);
  let exited = false;
  child.on('exit', () => { exited = true; });

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } }, 20_000);
    await gone;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`the test standalone exited during start-up; see ${logFile}:\n${tail(logFile)}`);
    if (await ready(webPort).catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the test standalone was not ready within ${timeoutMs / 1000} s; see ${logFile}:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { servicePort, webPort, logFile, stop };
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '';
}
