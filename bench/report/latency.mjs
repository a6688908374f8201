/**
 * The latency distribution of whole workflows for the chart in bench/RESULTS.md: the four
 * services as separate `miso run` processes in a tenant of their own, tracking commands at a
 * fixed rate, each workflow timed from its send to the moment its `payment.processed.v1` is
 * read back. Returns every sample (ms) after a warm-up.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from './svg.mjs';

const dist = new URL('../../dist/', import.meta.url);
const MISO = fileURLToPath(new URL('../../bin/miso.js', import.meta.url));
const SERVICES = ['campaign', 'tracking', 'commission', 'payment'];

function startService(service, flags, dataDir) {
  const child = spawn(process.execPath, [MISO, 'run', service, '--port', '0', '--json', '--data-dir', dataDir, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start: ${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"started"'));
      if (line) {
        clearTimeout(timer);
        resolve({ service, child, url: JSON.parse(line).url });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${service} exited ${code}: ${err}`)); });
  });
}

export async function run({ serviceUrl, adminUrl, rate = 100, seconds = 20, warmupSeconds = 2, log = () => {} }) {
  const { resolveConfig } = await import(new URL('config/index.js', dist));
  const { initCluster } = await import(new URL('core/init.js', dist));
  const { Publisher, pulsarClientFor } = await import(new URL('core/publisher.js', dist));
  const { topicName } = await import(new URL('core/topics.js', dist));
  const { AdminClient } = await import(new URL('pulsar/admin.js', dist));
  const tenant = `bench-lat-${Date.now().toString(36)}`;
  const cfg = resolveConfig({ serviceUrl, adminUrl, tenant, namespace: 'bench' });
  const init = await initCluster(cfg);
  if (!init.ok) throw new Error('init of the latency tenant failed');
  const flags = ['--service-url', serviceUrl, '--admin-url', adminUrl, '--tenant', tenant, '--namespace', 'bench'];
  const dataDir = mkdtempSync(join(tmpdir(), 'miso-bench-lat-'));
  const services = [];
  const client = pulsarClientFor(cfg);
  const pub = new Publisher(client, cfg, { maxPendingMessages: 10_000 });
  try {
    for (const s of SERVICES) services.push(await startService(s, flags, dataDir));
    const created = await pub.sendCommand('campaign.create', { campaign_id: 'lat', user_id: 'owner', name: 'Latency' });
    await pub.sendCommand('campaign.add_video', { campaign_id: 'lat', video_id: 'vid', url: 'https://videos.example/lat', title: 'Latency' }, { correlationId: created.correlationId });
    const tracking = services[1];
    for (let i = 0; ; i++) {
      const h = await (await fetch(`${tracking.url}/health`)).json();
      if (h.stats?.videos >= 1) break;
      if (i > 600) throw new Error('tracking never learned the video');
      await new Promise((r) => setTimeout(r, 50));
    }
    await pub.warm(['tracking-commands']);
    const reader = await client.createReader({ topic: topicName(cfg, 'payment-events'), start: 'latest', receiverQueueSize: 5000 });
    const sentAt = new Map();
    const samples = [];
    let stop = false;
    const measuredFrom = performance.now() + warmupSeconds * 1000;
    const reading = (async () => {
      while (!stop) {
        const m = await reader.readNext(100);
        if (!m) continue;
        const t = performance.now();
        const s = sentAt.get(m.properties.correlation_id);
        if (s === undefined) continue;
        sentAt.delete(m.properties.correlation_id);
        if (s >= measuredFrom) samples.push(t - s);
      }
    })();
    const total = Math.round(rate * (seconds + warmupSeconds));
    const start = performance.now();
    const inflight = [];
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const id = randomUUID();
      const kind = i % 10 === 0 ? 'conversion' : i % 3 === 0 ? 'click' : 'view';
      sentAt.set(id, performance.now());
      inflight.push(pub.sendCommand('tracking.create_event', { event_type: kind, campaign_id: 'lat', video_id: 'vid', visitor_id: `v${i}`, ...(kind === 'conversion' ? { sale_amount_minor: 5000 } : {}) }, { id }));
    }
    await Promise.all(inflight);
    const deadline = performance.now() + 15_000;
    while (sentAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await reading;
    await reader.close();
    const sorted = [...samples].sort((a, b) => a - b);
    log(`latency distribution: ${samples.length} workflows at ${rate}/s, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ${sentAt.size} unfinished`);
    return { rate, seconds, samples, unfinished: sentAt.size, offered: total };
  } finally {
    for (const s of services) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once('exit', r)))));
    await pub.close().catch(() => {});
    await client.close().catch(() => {});
    await new AdminClient({ adminUrl }).deleteTenant(tenant, { recursive: true }).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}
