import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { decode, type AnyEnvelope, type TopicShortName } from '../../../src/core/catalog/index.js';
import { initCluster } from '../../../src/core/init.js';
import { topicName } from '../../../src/core/topics.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import { PulsarClient, type Message } from '../../../src/pulsar/index.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName } from '../../support/env.js';

/** A tenant/namespace of its own, initialised as `miso init` does (topics, dedup, no auto-creation). */
export async function freshScope(prefix = 'svc'): Promise<{ cfg: ResolvedConfig; flags: string[]; dataDir: string; drop: () => Promise<void> }> {
  const tenant = uniqueName(prefix);
  const cfg = resolveConfig({ serviceUrl: TEST_SERVICE_URL, adminUrl: TEST_ADMIN_URL, tenant, namespace: 'ns' });
  const admin = new AdminClient(cfg);
  const report = await initCluster(cfg, { admin });
  if (!report.ok) throw new Error(`init failed: ${JSON.stringify(report.steps.filter((s) => s.status === 'failed'))}`);
  const dataDir = mkdtempSync(join(tmpdir(), `miso-${prefix}-`));
  return {
    cfg,
    dataDir,
    flags: ['--service-url', TEST_SERVICE_URL, '--admin-url', TEST_ADMIN_URL, '--tenant', tenant, '--namespace', 'ns'],
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      try {
        await admin.deleteTenant(tenant, { recursive: true });
      } catch { /* best effort: a leftover test tenant harms nothing */ }
    },
  };
}

export function testClient(): PulsarClient {
  return new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
}

export interface Seen { env: AnyEnvelope; msg: Message }

/**
 * Everything on a topic from the start, decoded, read until `until` holds for the whole list
 * (or the timeout passes, which fails with what was seen).
 */
export async function readUntil(client: PulsarClient, cfg: ResolvedConfig, short: TopicShortName, until: (seen: Seen[]) => boolean, opts: { timeoutMs?: number; topic?: string; decodeAs?: TopicShortName } = {}): Promise<Seen[]> {
  const reader = await client.createReader({ topic: opts.topic ?? topicName(cfg, short), start: 'earliest' });
  const seen: Seen[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  try {
    while (!until(seen)) {
      if (Date.now() > deadline) throw new Error(`timed out on ${short}; saw ${seen.length}: ${seen.map((s) => s.env.type).join(', ')}`);
      const m = await reader.readNext(200);
      if (!m) continue;
      seen.push({ env: decode(opts.decodeAs ?? short, m.payload), msg: m });
    }
  } finally {
    await reader.close();
  }
  return seen;
}

/** Raw messages of a topic from the start (for dead-letter topics holding undecodable bytes). */
export async function readRaw(client: PulsarClient, topic: string, until: (seen: Message[]) => boolean, timeoutMs = 20_000): Promise<Message[]> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  const seen: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(seen)) {
      if (Date.now() > deadline) throw new Error(`timed out on ${topic}; saw ${seen.length}`);
      const m = await reader.readNext(200);
      if (m) seen.push(m);
    }
  } finally {
    await reader.close();
  }
  return seen;
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** How many messages a topic holds now (proves "nothing was sent"). */
export async function countMessages(client: PulsarClient, topic: string): Promise<number> {
  const reader = await client.createReader({ topic, start: 'earliest' });
  let n = 0;
  try {
    while (await reader.hasMessageAvailable()) if (await reader.readNext(5000)) n++;
  } finally {
    await reader.close();
  }
  return n;
}
