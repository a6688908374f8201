import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miso, MISO_BIN } from '../../support/cli.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, waitUntil } from '../../support/env.js';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { newEnvelope, schemasDir } from '../../../src/core/catalog/index.js';
import { freshScope } from '../../integration/catalog/scope.js';
import { SAMPLES } from '../../unit/catalog/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'miso-e2e-schemas-'));
const env = {
  MISO_CONFIG_DIR: join(dir, 'config'),
  MISO_STATE_DIR: join(dir, 'state'),
  PULSAR_SERVICE_URL: TEST_SERVICE_URL,
  PULSAR_ADMIN_URL: TEST_ADMIN_URL,
};
let scope: Awaited<ReturnType<typeof freshScope>>;
let ns: string[];

beforeAll(async () => {
  scope = await freshScope('e2eschemas');
  ns = ['--tenant', scope.cfg.tenant, '--namespace', scope.cfg.namespace];
});
afterAll(async () => {
  await scope?.drop();
});

describe('miso schemas as a process', () => {
  it('list and show describe the catalog', async () => {
    const list = await miso(['schemas', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { short: string }[]).map((t) => t.short)).toContain('tracking.create_event');
    const show = await miso(['schemas', 'show', 'tracking.create_event'], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/--event-type\s+│ one of view, click, conversion/);
    expect(show.stdout).toMatch(/Send one: miso send tracking\.create_event --event-type <event_type>/);
  });

  it('check → push → check; a breaking change is refused naming the field, exit 1, nothing registered', async () => {
    const before = await miso(['schemas', 'check', ...ns], { env });
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^\+ campaign-commands\s+not registered yet/m);
    const push = await miso(['schemas', 'push', ...ns], { env });
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout.trim().split('\n')).toHaveLength(8);
    expect(push.stdout).toMatch(/^✔ payment-events\s+registered as version 0$/m);
    const after = await miso(['schemas', 'check', ...ns], { env });
    expect(after.stdout).toMatch(/^✔ payment-events\s+up to date \(v0\)/m);

    const breaking = join(dir, 'breaking');
    cpSync(schemasDir(), breaking, { recursive: true });
    const file = join(breaking, 'messages', 'payment.processed.v1.avsc');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.fields.find((f: { name: string }) => f.name === 'status').type = 'string';
    writeFileSync(file, JSON.stringify(json));
    const check = await miso(['schemas', 'check', '--dir', breaking, ...ns], { env });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^✖ payment-events\s+local schema is NOT compatible/m);
    expect(check.stdout).toMatch(/✖ v0: payload\[PaymentProcessed\]\.status changed type from enum PaymentStatus to string/);
    expect(check.stderr.trim()).toMatch(/^miso: 1 topic schema is not compatible with what the broker has: payment-events — /);
    const refused = await miso(['schemas', 'push', '--dir', breaking, ...ns], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/schema change refused for payment-events: payload\[PaymentProcessed\]\.status changed type/);
    const still = await scope.admin.getSchemas(`persistent://${scope.cfg.tenant}/${scope.cfg.namespace}/payment-events`);
    expect(still.map((s) => s.version)).toEqual([0]);
  });

  it('asyncapi prints an AsyncAPI 3.0 document for the configured tenant', async () => {
    const r = await miso(['schemas', 'asyncapi', ...ns], { env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { asyncapi: string; channels: Record<string, { address: string }> };
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels['payment-events']!.address).toBe(`persistent://${scope.cfg.tenant}/${scope.cfg.namespace}/payment-events`);
  });
});

describe('miso trace --follow as a process', () => {
  it('prints the tree again as the workflow grows, and stops cleanly on SIGINT', async () => {
    const client = new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
    const pub = new Publisher(client, scope.cfg);
    const root = newEnvelope('payment.process.command.v1', SAMPLES['payment.process.command.v1']);
    const child = spawn(process.execPath, [MISO_BIN, 'trace', root.correlation_id, '--follow', '--json', ...ns], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const snapshots: { message_count: number }[] = [];
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const grew = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          snapshots.push(JSON.parse(buf.slice(0, i)) as { message_count: number });
          buf = buf.slice(i + 1);
          if (snapshots.at(-1)!.message_count === 2) resolve();
        }
      });
    });
    // The trace process is waiting once it says so on stderr.
    await waitUntil(() => /waiting for workflow/.test(stderr), { what: 'trace --follow to say it waits' });
    await pub.publish(root);
    await pub.publish(newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1'], { causedBy: root }));
    await grew;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(snapshots.map((s) => s.message_count)).toEqual([1, 2]);
    await pub.close();
    await client.close();
  });
});
