#!/usr/bin/env node
/**
 * Developer-tool benchmark, measured on the real broker in one run:
 *
 *   send    wall time of one `miso send` (process start to exit) next to one
 *           `bin/pulsar-client produce` of the Java distribution (goal: ≥ 4× faster)
 *   tail    `miso tail <topic> --from earliest --no-follow --json > /dev/null` over a topic of
 *           batched messages, messages/s (goal ≥ 150k/s), next to `bin/pulsar-client consume
 *           --schema-type auto_consume` decoding the same topic
 *   trace   `miso trace <id>` finding one workflow among 1M stored messages (goal ≤ 5 s)
 *
 * Run:  npm run build && node bench/devtools/index.mjs [--tail-messages 500000] [--trace-messages 1000000] [--sends 7]
 * Works in a tenant of its own (deleted at the end). `run()` returns `{name, miso, peer, unit, ratio}[]`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';

const dist = new URL('../../dist/', import.meta.url);
const { resolveConfig } = await import(new URL('config/index.js', dist));
const { initCluster } = await import(new URL('core/init.js', dist));
const { Publisher, pulsarClientFor } = await import(new URL('core/publisher.js', dist));
const { newEnvelope, topicName } = await import(new URL('core/catalog/index.js', dist));
const { AdminClient } = await import(new URL('pulsar/admin.js', dist));

const MISO = fileURLToPath(new URL('../../bin/miso.js', import.meta.url));
const PULSAR_HOME = process.env.PULSAR_HOME ?? '/root/.cache/miso/pulsar/apache-pulsar-4.0.8';
const JAVA_CLIENT = join(PULSAR_HOME, 'bin', 'pulsar-client');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const round = (n, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null);

/** Wall time of a process, from spawn to exit, stdout discarded. */
function timed(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.slice(-500)}`));
      else resolve(ms);
    });
  });
}

/** Publish `n` envelopes made by `make(i)` with batching, keeping many in flight. */
async function fill(pub, n, make, log) {
  const inflight = new Set();
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const { env, opts } = make(i);
    const p = pub.publish(env, opts).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 20_000) await Promise.race(inflight);
    if (log && i > 0 && i % 200_000 === 0) log(`  … ${i} published (${Math.round(i / ((Date.now() - t0) / 1000))}/s)`);
  }
  await Promise.all(inflight);
  await pub.flush();
}

export async function run(opts = {}) {
  const serviceUrl = opts.serviceUrl ?? process.env.MISO_TEST_SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
  const adminUrl = opts.adminUrl ?? process.env.MISO_TEST_ADMIN_URL ?? 'http://127.0.0.1:8080';
  const sends = opts.sends ?? 7;
  const tailMessages = opts.tailMessages ?? 500_000;
  const traceMessages = opts.traceMessages ?? 1_000_000;
  const log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
  const tenant = `bench-devtools-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const cfg = resolveConfig({ serviceUrl, adminUrl, tenant, namespace: 'ns' });
  const admin = new AdminClient({ adminUrl });
  const home = mkdtempSync(join(tmpdir(), 'miso-bench-devtools-'));
  const env = { MISO_CONFIG_DIR: join(home, 'config'), MISO_STATE_DIR: join(home, 'state'), PULSAR_SERVICE_URL: serviceUrl, PULSAR_ADMIN_URL: adminUrl };
  const ns = ['--tenant', tenant, '--namespace', 'ns'];
  const rows = [];
  // The dev broker deletes topics without subscriptions after a minute of inactivity; this
  // run writes to some topics only minutes after init.
  await admin.ensureTenant(tenant, { allowedClusters: await admin.clusters() });
  await admin.ensureNamespace({ tenant, namespace: 'ns' });
  await admin.http.request('POST', `/admin/v2/namespaces/${tenant}/ns/inactiveTopicPolicies`, {
    body: { inactiveTopicDeleteMode: 'delete_when_no_subscriptions', maxInactiveDurationSeconds: 60, deleteWhileInactive: false }, what: 'keep inactive topics',
  });
  const init = await initCluster(cfg, { admin });
  if (!init.ok) throw new Error(`init failed: ${JSON.stringify(init.steps.filter((s) => s.status === 'failed'))}`);
  const client = pulsarClientFor(cfg);
  try {
    // ── send ────────────────────────────────────────────────────────────
    log(`send: ${sends} × miso send, ${sends} × pulsar-client produce`);
    const misoSend = [];
    for (let i = 0; i < sends; i++) {
      misoSend.push(await timed(process.execPath, [MISO, 'send', 'campaign.create', '--name', `Bench ${i}`, '--user-id', 'bench', ...ns], env));
    }
    let javaSend = [];
    if (existsSync(JAVA_CLIENT)) {
      // The Java tool sends a plain message to a topic of its own (it cannot build our envelope).
      const javaTopic = `persistent://${tenant}/ns/java-produce`;
      await admin.createTopic(javaTopic);
      for (let i = 0; i < sends; i++) javaSend.push(await timed(JAVA_CLIENT, ['--url', serviceUrl, 'produce', '-m', `bench ${i}`, '-n', '1', javaTopic]));
    }
    const ms = median(misoSend);
    const js = javaSend.length ? median(javaSend) : null;
    log(`  miso send median ${ms.toFixed(0)} ms; pulsar-client produce median ${js?.toFixed(0) ?? 'n/a'} ms`);
    rows.push({ name: 'send one command, process wall time (median)', miso: round(ms, 0), peer: js === null ? null : round(js, 0), unit: 'ms', ratio: js === null ? null : round(js / ms, 2), goal: 'peer/miso ≥ 4' });

    // ── tail ────────────────────────────────────────────────────────────
    log(`tail: filling tracking-events with ${tailMessages} batched messages…`);
    // A long batching delay keeps batches full (one key run each) even when the fill is slowed down.
    const pub = new Publisher(client, cfg, { batching: { maxMessages: 1000, maxDelayMs: 200 } });
    const cmd = newEnvelope('tracking.create_event.command.v1', { tracking_event_id: 'te', event_type: 'view', campaign_id: 'c', video_id: 'v', visitor_id: 'x' });
    await fill(pub, tailMessages, (i) => ({
      // The key is the tracking event id and the client batches runs of one key (Key_Shared
      // routes a whole entry by its key), so runs of 200 messages share one id here.
      env: newEnvelope('tracking_event.created.v1', { tracking_event_id: `te-${Math.floor(i / 200)}`, event_type: i % 3 === 0 ? 'conversion' : 'view', campaign_id: `c-${i % 50}`, video_id: `v-${i % 200}`, visitor_id: `visitor-${i}`, sale_amount_minor: i % 3 === 0 ? 1999 : null }, { causedBy: cmd }),
      opts: {},
    }), log);
    const tailTopic = topicName(cfg, 'tracking-events');
    const tailMs = await timed(process.execPath, [MISO, 'tail', 'tracking-events', '--from', 'earliest', '--no-follow', '--json', ...ns], env);
    const misoRate = tailMessages / (tailMs / 1000);
    log(`  miso tail --json: ${tailMessages} in ${tailMs.toFixed(0)} ms = ${Math.round(misoRate)} msg/s (process start included)`);
    let javaRate = null;
    if (existsSync(JAVA_CLIENT)) {
      const javaMs = await timed(JAVA_CLIENT, ['--url', serviceUrl, 'consume', '-s', `bench-${Date.now()}`, '-p', 'Earliest', '-n', String(tailMessages), '--schema-type', 'auto_consume', tailTopic]);
      javaRate = tailMessages / (javaMs / 1000);
      log(`  pulsar-client consume auto_consume: ${tailMessages} in ${javaMs.toFixed(0)} ms = ${Math.round(javaRate)} msg/s`);
    }
    rows.push({ name: 'tail --json decode throughput (batched topic, to /dev/null)', miso: Math.round(misoRate), peer: javaRate === null ? null : Math.round(javaRate), unit: 'msg/s', ratio: javaRate === null ? null : round(misoRate / javaRate, 2), goal: '≥ 150000' });

    // ── trace ───────────────────────────────────────────────────────────
    const others = Math.max(0, traceMessages - tailMessages);
    log(`trace: adding ${others} messages over the other topics (${traceMessages} stored in all), one workflow among them…`);
    const wf = randomUUID();
    const root = newEnvelope('tracking.create_event.command.v1', { tracking_event_id: 'te-wf', event_type: 'conversion', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'x', sale_amount_minor: 5000 }, { id: wf });
    const chain = [root];
    const ev = newEnvelope('tracking_event.created.v1', { tracking_event_id: 'te-wf', event_type: 'conversion', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'x', sale_amount_minor: 5000 }, { causedBy: root });
    const cc = newEnvelope('commission.calculate.command.v1', { commission_id: 'co-wf', tracking_event_id: 'te-wf', campaign_id: 'c-1', video_id: 'v-1', user_id: 'u', event_type: 'conversion', sale_amount_minor: 5000 }, { causedBy: root });
    const ce = newEnvelope('commission.calculated.v1', { commission_id: 'co-wf', tracking_event_id: 'te-wf', campaign_id: 'c-1', user_id: 'u', event_type: 'conversion', amount_minor: 500, rule: 'default.conversion', rate_bps: 1000 }, { causedBy: cc });
    const pc = newEnvelope('payment.process.command.v1', { payment_id: 'p-wf', commission_id: 'co-wf', user_id: 'u', amount_minor: 500, idempotency_key: 'co-wf' }, { causedBy: cc });
    const pe = newEnvelope('payment.processed.v1', { payment_id: 'p-wf', commission_id: 'co-wf', user_id: 'u', amount_minor: 500, status: 'paid', provider_reference: 'ref', idempotency_key: 'co-wf' }, { causedBy: pc });
    chain.push(ev, cc, ce, pc, pe);
    // Keys repeat in runs of 200 (g) so the client batches them, as above.
    const noiseTypes = [
      (i, g) => newEnvelope('campaign.created.v1', { campaign_id: `c-${g}`, user_id: 'u', name: `Campaign ${i}` }),
      (i, g) => newEnvelope('commission.calculated.v1', { commission_id: `co-${i}`, tracking_event_id: `te-${g}`, campaign_id: 'c', user_id: 'u', event_type: 'view', amount_minor: 1, rule: 'default.view' }),
      (i, g) => newEnvelope('payment.processed.v1', { payment_id: `p-${i}`, commission_id: `co-${g}`, user_id: 'u', amount_minor: 1, status: 'paid', idempotency_key: `co-${i}` }),
      (i, g) => newEnvelope('tracking.create_event.command.v1', { tracking_event_id: `te-${g}`, event_type: 'click', campaign_id: 'c', video_id: 'v', visitor_id: 'x' }),
    ];
    const every = Math.max(1, Math.floor(others / chain.length));
    await fill(pub, others + chain.length, (i) => {
      const k = Math.floor(i / every);
      if (i % every === 0 && k < chain.length) return { env: chain[k], opts: {} };
      // Runs of 200 messages of one type (and one key) at a time.
      const run = Math.floor(i / 200);
      return { env: noiseTypes[run % noiseTypes.length](i, run), opts: {} };
    }, log);
    await pub.close();
    const traceRuns = [];
    for (let i = 0; i < 3; i++) traceRuns.push(await timed(process.execPath, [MISO, 'trace', wf, '--since', '1h', ...ns], env));
    const traceMs = median(traceRuns);
    log(`  miso trace among ${traceMessages + chain.length} messages: median ${traceMs.toFixed(0)} ms (${traceRuns.map((t) => t.toFixed(0)).join(', ')})`);
    rows.push({ name: `trace one workflow among ${Math.round(traceMessages / 1000)}k stored messages (process wall time)`, miso: round(traceMs / 1000, 2), peer: null, unit: 's', ratio: null, goal: '≤ 5' });
    return rows;
  } finally {
    await client.close().catch(() => {});
    await admin.deleteTenant(tenant, { recursive: true }).catch(() => {});
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const rows = await run({ sends: arg('sends', 7), tailMessages: arg('tail-messages', 500_000), traceMessages: arg('trace-messages', 1_000_000) });
  for (const r of rows) console.log(`${r.name.padEnd(66)} miso ${String(r.miso).padStart(9)} ${r.unit}  peer ${String(r.peer ?? '-').padStart(9)}  ratio ${r.ratio ?? '-'}${r.goal ? `   (goal ${r.goal})` : ''}`);
}
