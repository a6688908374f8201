import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { decode, type AnyEnvelope, type TopicShortName } from '../../../src/core/catalog/index.js';
import { initCluster } from '../../../src/core/init.js';
import type { Publisher } from '../../../src/core/publisher.js';
import { startServices, type RunningServices, type RunOptions } from '../../../src/services/runner.js';
import { topicName } from '../../../src/core/topics.js';
import { AdminClient } from '../../../src/pulsar/admin.js';
import { MessageId, PulsarClient, type Message } from '../../../src/pulsar/index.js';
import { TEST_ADMIN_URL, TEST_SERVICE_URL, uniqueName, waitUntil } from '../../support/env.js';

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
      } catch {
        /* best effort: a leftover test tenant harms nothing */
      }
    },
  };
}

export function testClient(): PulsarClient {
  return new PulsarClient({ serviceUrl: TEST_SERVICE_URL });
}

export interface Seen {
  env: AnyEnvelope;
  msg: Message;
}

/**
 * Everything on a topic from the start, decoded, read until `until` holds for the whole list
 * (or the timeout passes, which fails with what was seen).
 */
export async function readUntil(
  client: PulsarClient,
  cfg: ResolvedConfig,
  short: TopicShortName,
  until: (seen: Seen[]) => boolean,
  opts: { timeoutMs?: number; topic?: string; decodeAs?: TopicShortName } = {},
): Promise<Seen[]> {
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
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
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

/**
 * The broker's last message id of a topic, from the admin API (not from the client under test).
 * An entry id of -1 means the topic holds nothing.
 */
export async function lastMessageId(topic: string, adminUrl = TEST_ADMIN_URL): Promise<MessageId> {
  const m = /^(persistent|non-persistent):\/\/(.+)$/.exec(topic);
  if (!m) throw new Error(`not a full topic name: ${topic}`);
  const res = await fetch(`${adminUrl}/admin/v2/${m[1]}/${m[2]}/lastMessageId`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`lastMessageId of ${topic}: HTTP ${res.status} ${await res.text()}`);
  const b = (await res.json()) as { ledgerId: number; entryId: number };
  return new MessageId(BigInt(b.ledgerId), BigInt(b.entryId));
}

/**
 * Every message of a topic from the start to its end. The end is the broker's last message id,
 * asked (admin API) before reading; the reader goes on while the broker says more is available
 * and must reach that id, and a read that times out while messages are due is an error, never
 * "done". An exactly-once check built on this sees a duplicate that arrived after the expected
 * count; one that stops at the count, or after a quiet spell, would not.
 */
export async function readToEnd(client: PulsarClient, topic: string, opts: { adminUrl?: string; timeoutMs?: number } = {}): Promise<Message[]> {
  const end = await lastMessageId(topic, opts.adminUrl);
  const reader = await client.createReader({ topic, start: 'earliest' });
  const seen: Message[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const reached = () => end.entryId < 0n || (seen.length > 0 && seen[seen.length - 1]!.messageId.compare(end) >= 0);
  try {
    while (!reached() || (await reader.hasMessageAvailable())) {
      const m = await reader.readNext(Math.max(1, deadline - Date.now()));
      if (!m)
        throw new Error(
          `${topic}: read ${seen.length} messages, stopped at ${seen.at(-1)?.messageId.toString() ?? 'the start'}; the broker's last message is ${end.ledgerId}:${end.entryId}`,
        );
      seen.push(m);
    }
  } finally {
    await reader.close();
  }
  return seen;
}

/** readToEnd, decoded as envelopes of a catalog topic. */
export async function readAllDecoded(client: PulsarClient, cfg: ResolvedConfig, short: TopicShortName, opts: { adminUrl?: string } = {}): Promise<Seen[]> {
  return (await readToEnd(client, topicName(cfg, short), opts)).map((msg) => ({ env: decode(short, msg.payload), msg }));
}

/**
 * How often each expected key occurs in `keys` (the keys of everything read): the keys seen
 * more than once, the expected keys never seen, and how many seen keys nobody expected.
 */
export function onceEach(expected: Iterable<string>, keys: readonly string[]): { missing: string[]; duplicated: string[]; unexpected: number } {
  const want = new Set(expected);
  const count = new Map<string, number>();
  for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
  return {
    missing: [...want].filter((k) => !count.has(k)),
    duplicated: [...count].filter(([k, n]) => want.has(k) && n > 1).map(([k]) => k),
    unexpected: [...count].filter(([k]) => !want.has(k)).reduce((a, [, n]) => a + n, 0),
  };
}

/** Until every service behind these URLs has published its outbox: after that a topic's end is final. */
export async function outboxesDrained(urls: readonly string[], timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    async () => {
      for (const u of urls) if ((await getJson(`${u}/health`)).body.outbox_depth !== 0) return false;
      return true;
    },
    { timeoutMs, what: 'the outboxes to drain' },
  );
}

/** The four services in one process, hybrid mode, REST on free ports: the shape most service tests start. */
export function startFourServices(
  scope: { cfg: ResolvedConfig; dataDir: string },
  client: PulsarClient,
  extra: Partial<RunOptions> = {},
): Promise<RunningServices> {
  return startServices({
    cfg: scope.cfg,
    client,
    services: ['campaign', 'tracking', 'commission', 'payment'],
    mode: 'hybrid',
    dataDir: scope.dataDir,
    ports: { campaign: 0, tracking: 0, commission: 0, payment: 0 },
    ...extra,
  });
}

/** A campaign with one video, both confirmed by their events: what every tracking test needs first. */
export async function campaignWithVideo(
  pub: Publisher,
  client: PulsarClient,
  cfg: ResolvedConfig,
  name: string,
): Promise<{ campaignId: string; videoId: string }> {
  const campaign = await pub.sendCommand('campaign.create', { user_id: `u-${name}`, name });
  const campaignId = (campaign.envelope.payload as { campaign_id: string }).campaign_id;
  await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === campaign.id));
  const video = await pub.sendCommand('campaign.add_video', { campaign_id: campaignId, url: `https://v.example/${encodeURIComponent(name)}`, title: name });
  const videoId = (video.envelope.payload as { video_id: string }).video_id;
  await readUntil(client, cfg, 'campaign-events', (s) => s.some((m) => m.env.causation_id === video.id));
  return { campaignId, videoId };
}
