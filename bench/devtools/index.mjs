#!/usr/bin/env node
/**
 * Developer-tool benchmark, measured on the real broker in one run:
 *
 *   send    wall time of one `miso send` (process start to exit) next to one
 *           `bin/pulsar-client produce` of the Java distribution, alternating, median with
 *           min–max (goal: ≥ 4× faster)
 *   tail    `miso tail <topic> --from earliest --no-follow --json` next to
 *           `bin/pulsar-client read -m earliest --schema-type auto_consume` (a reader, like
 *           tail; it decodes the Avro envelope too), over the same 1M batched messages,
 *           produced once and read by every run. Output goes to a pipe that counts messages:
 *           start-up (spawn → first message) is reported apart from the steady decode rate
 *           (first message → last). Median of the runs, order alternated, with min–max.
 *   trace   `miso trace <id>` finding one workflow among the 1M stored messages (goal ≤ 5 s)
 *
 * Run:  npm run build && node bench/devtools/index.mjs [--quick]
 * Works in a tenant of its own (deleted at the end). `run()` returns report rows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { alternate, figure, median, requireSamples } from '../lib/stats.mjs';
import { binOf, pulsarHome } from '../lib/pulsar-home.mjs';
import { countLines, markerCounter, streamed } from '../lib/stream.mjs';
const dist = new URL('../../dist/', import.meta.url);
const { resolveConfig } = await import(new URL('config/index.js', dist));
const { initCluster } = await import(new URL('core/init.js', dist));
const { Publisher, pulsarClientFor } = await import(new URL('core/publisher.js', dist));
const { newEnvelope, topicName } = await import(new URL('core/catalog/index.js', dist));
const { AdminClient } = await import(new URL('pulsar/admin.js', dist));

const MISO = fileURLToPath(new URL('../../bin/miso.js', import.meta.url));

/** Wall time of a process, from spawn to exit, stdout discarded; one still running after `capMs` is stopped and fails the run. */
function timed(cmd, args, env = {}, capMs = 120_000) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1', ...env } });
    let err = '';
    let capped = false;
    const cap = setTimeout(() => {
      capped = true;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }, capMs);
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(cap);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (capped) reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} still running after ${capMs / 1000} s: stopped`));
      else if (code !== 0) reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.slice(-500)}`));
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

/** `tailCapSeconds`: a reading process still going after this is stopped and rated on what it read (both sides alike). */
export const FULL = { runs: 3, sends: 3, tailMessages: 1_000_000, tailCapSeconds: 60 };
export const QUICK = { runs: 3, sends: 3, tailMessages: 100_000, tailCapSeconds: 60 };

export async function run(opts = {}) {
  const serviceUrl = opts.serviceUrl ?? process.env.MISO_TEST_SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
  const adminUrl = opts.adminUrl ?? process.env.MISO_TEST_ADMIN_URL ?? 'http://127.0.0.1:8080';
  const runs = opts.runs ?? FULL.runs;
  const sends = Math.max(3, opts.sends ?? FULL.sends);
  const tailMessages = opts.tailMessages ?? FULL.tailMessages;
  const capMs = (opts.tailCapSeconds ?? FULL.tailCapSeconds) * 1000;
  const log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
  const javaClient = binOf(await pulsarHome(), 'pulsar-client');
  const tenant = `bench-devtools-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const cfg = resolveConfig({ serviceUrl, adminUrl, tenant, namespace: 'ns' });
  const admin = new AdminClient({ adminUrl });
  const home = mkdtempSync(join(tmpdir(), 'miso-bench-devtools-'));
  const env = { MISO_CONFIG_DIR: join(home, 'config'), MISO_STATE_DIR: join(home, 'state'), PULSAR_SERVICE_URL: serviceUrl, PULSAR_ADMIN_URL: adminUrl };
  const ns = ['--tenant', tenant, '--namespace', 'ns'];
  const rows = [];
  // The dev broker deletes topics without subscriptions after a minute of inactivity; this
  // run reads some topics minutes after filling them.
  await admin.ensureTenant(tenant, { allowedClusters: await admin.clusters() });
  await admin.ensureNamespace({ tenant, namespace: 'ns' });
  await admin.http.request('POST', `/admin/v2/namespaces/${tenant}/ns/inactiveTopicPolicies`, {
    body: { inactiveTopicDeleteMode: 'delete_when_no_subscriptions', maxInactiveDurationSeconds: 3600, deleteWhileInactive: false },
    what: 'keep inactive topics',
  });
  const init = await initCluster(cfg, { admin });
  if (!init.ok) throw new Error(`init failed: ${JSON.stringify(init.steps.filter((s) => s.status === 'failed'))}`);
  const client = pulsarClientFor(cfg);
  // A figure that fails is reported as not completed; the others stand.
  const failed = (names, err) => {
    log(`  ${names.join(', ')} did not complete: ${err?.stack ?? err}`);
    for (const name of names) rows.push({ name, unit: '', miso: null, peer: null, error: String(err?.message ?? err).split('\n')[0] });
  };
  try {
    // ── send ────────────────────────────────────────────────────────────
    try {
      log(`send: ${sends} × miso send, ${sends} × pulsar-client produce, alternating`);
      // The Java tool sends a plain message to a topic of its own (it cannot build our envelope).
      const javaTopic = `persistent://${tenant}/ns/java-produce`;
      await admin.createTopic(javaTopic);
      const s = await alternate(
        sends,
        {
          miso: (i) => timed(process.execPath, [MISO, 'send', 'campaign.create', '--name', `Bench ${i}`, '--user-id', 'bench', ...ns], env),
          peer: (i) => timed(javaClient, ['--url', serviceUrl, 'produce', '-m', `bench ${i}`, '-n', '1', javaTopic]),
        },
        log,
      );
      rows.push(
        figure('send one command, process wall time', 'ms', s.miso, s.peer, {
          peerTool: 'Java pulsar-client produce',
          goal: 'peer/miso ≥ 4',
          ok: median(s.peer) / median(s.miso) >= 4,
        }),
      );
    } catch (err) {
      failed(['send one command, process wall time'], err);
    }

    // ── tail ────────────────────────────────────────────────────────────
    log(`tail: filling tracking-events with ${tailMessages.toLocaleString('en-US')} batched messages (once; every run reads them)…`);
    // A long batching delay keeps batches full (one key run each) even when the fill is slowed down.
    const pub = new Publisher(client, cfg, { batching: { maxMessages: 1000, maxDelayMs: 200 }, maxPendingMessages: 20_000 });
    const cmd = newEnvelope('tracking.create_event.command.v1', {
      tracking_event_id: 'te',
      event_type: 'view',
      campaign_id: 'c',
      video_id: 'v',
      visitor_id: 'x',
    });
    await fill(
      pub,
      tailMessages,
      (i) => ({
        // The key is the tracking event id and the client batches runs of one key (Key_Shared
        // routes a whole entry by its key), so runs of 200 messages share one id here.
        env: newEnvelope(
          'tracking_event.created.v1',
          {
            tracking_event_id: `te-${Math.floor(i / 200)}`,
            event_type: i % 3 === 0 ? 'conversion' : 'view',
            campaign_id: `c-${i % 50}`,
            video_id: `v-${i % 200}`,
            visitor_id: `visitor-${i}`,
            sale_amount_minor: i % 3 === 0 ? 1999 : null,
          },
          { causedBy: cmd },
        ),
        opts: {},
      }),
      log,
    );
    // One workflow among them, for trace.
    const wf = randomUUID();
    const root = newEnvelope(
      'tracking.create_event.command.v1',
      { tracking_event_id: 'te-wf', event_type: 'conversion', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'x', sale_amount_minor: 5000 },
      { id: wf },
    );
    const ev = newEnvelope(
      'tracking_event.created.v1',
      { tracking_event_id: 'te-wf', event_type: 'conversion', campaign_id: 'c-1', video_id: 'v-1', visitor_id: 'x', sale_amount_minor: 5000 },
      { causedBy: root },
    );
    const cc = newEnvelope(
      'commission.calculate.command.v1',
      {
        commission_id: 'co-wf',
        tracking_event_id: 'te-wf',
        campaign_id: 'c-1',
        video_id: 'v-1',
        user_id: 'u',
        event_type: 'conversion',
        sale_amount_minor: 5000,
      },
      { causedBy: root },
    );
    const ce = newEnvelope(
      'commission.calculated.v1',
      {
        commission_id: 'co-wf',
        tracking_event_id: 'te-wf',
        campaign_id: 'c-1',
        user_id: 'u',
        event_type: 'conversion',
        amount_minor: 500,
        rule: 'default.conversion',
        rate_bps: 1000,
      },
      { causedBy: cc },
    );
    const pc = newEnvelope(
      'payment.process.command.v1',
      { payment_id: 'p-wf', commission_id: 'co-wf', user_id: 'u', amount_minor: 500, idempotency_key: 'co-wf' },
      { causedBy: cc },
    );
    const pe = newEnvelope(
      'payment.processed.v1',
      { payment_id: 'p-wf', commission_id: 'co-wf', user_id: 'u', amount_minor: 500, status: 'paid', provider_reference: 'ref', idempotency_key: 'co-wf' },
      { causedBy: pc },
    );
    await fill(pub, 6, (i) => ({ env: [root, ev, cc, ce, pc, pe][i], opts: {} }));
    await pub.close();

    const tailTopic = topicName(cfg, 'tracking-events');
    const n = `${Math.round(tailMessages / 1000)}k`;
    try {
      log(`tail: ${runs} runs per side over ${tailMessages.toLocaleString('en-US')} messages (+1 workflow event), alternating…`);
      const expected = tailMessages + 1;
      let cappedRuns = 0;
      // A complete read must print every message; a capped one must have read enough to rate.
      const rated = (what, r) => {
        if (r.capped) {
          cappedRuns++;
          requireSamples(`${what} (messages read before the ${capMs / 1000} s cap)`, r.seen, Math.min(expected, 20_000));
        } else if (r.seen !== expected) throw new Error(`${what} printed ${r.seen} messages, ${expected} expected`);
        return { rate: (r.seen - 1) / (r.steadyMs / 1000), startupMs: r.startupMs, totalS: r.totalMs / 1000, read: r.seen };
      };
      const t = await alternate(
        runs,
        {
          miso: async () =>
            rated(
              'miso tail',
              await streamed(process.execPath, [MISO, 'tail', 'tracking-events', '--from', 'earliest', '--no-follow', '--json', ...ns], countLines, env, capMs),
            ),
          peer: async () =>
            rated(
              'pulsar-client read',
              await streamed(
                javaClient,
                ['--url', serviceUrl, 'read', '-m', 'earliest', '-n', String(expected), '-r', '0', '--schema-type', 'auto_consume', tailTopic],
                markerCounter(),
                {},
                capMs,
              ),
            ),
        },
        log,
      );
      requireSamples('tail runs', t.miso.length, 3);
      const capNote = cappedRuns
        ? `${cappedRuns} of ${2 * runs} reads stopped at the ${capMs / 1000} s cap and rated on what they read (miso read ${t.miso.map((x) => x.read).join(' / ')}, the peer ${t.peer.map((x) => x.read).join(' / ')})`
        : undefined;
      rows.push(
        figure(
          `tail --json, steady decode rate (first → last message), ${n} batched messages`,
          'msg/s',
          t.miso.map((x) => x.rate),
          t.peer.map((x) => x.rate),
          {
            peerTool: 'Java pulsar-client read --schema-type auto_consume',
            goal: '≥ 150,000',
            ok: median(t.miso.map((x) => x.rate)) >= 150_000,
            ...(capNote ? { note: capNote } : {}),
          },
        ),
      );
      rows.push(
        figure(
          'tail --json, process start-up (spawn → first message)',
          'ms',
          t.miso.map((x) => x.startupMs),
          t.peer.map((x) => x.startupMs),
          { peerTool: 'Java pulsar-client read' },
        ),
      );
      rows.push(
        figure(
          `tail --json, whole process over ${n} messages`,
          's',
          t.miso.map((x) => x.totalS),
          t.peer.map((x) => x.totalS),
          { peerTool: 'Java pulsar-client read' },
        ),
      );
    } catch (err) {
      failed(['tail --json, steady decode rate', 'tail --json, process start-up'], err);
    }

    // ── trace ───────────────────────────────────────────────────────────
    try {
      const traceRuns = [];
      for (let i = 0; i < runs; i++) traceRuns.push((await timed(process.execPath, [MISO, 'trace', wf, '--since', '1h', ...ns], env, 60_000)) / 1000);
      log(`  miso trace among ${(tailMessages + 6).toLocaleString('en-US')} messages: ${traceRuns.map((x) => x.toFixed(2)).join(', ')} s`);
      rows.push(figure(`trace one workflow among ${n} stored messages, process wall time`, 's', traceRuns, null, { goal: '≤ 5', ok: median(traceRuns) <= 5 }));
    } catch (err) {
      failed(['trace one workflow'], err);
    }
    return rows;
  } finally {
    await client.close().catch(() => {});
    await admin.deleteTenant(tenant, { recursive: true }).catch(() => {});
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run(process.argv.includes('--quick') ? QUICK : FULL);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(80)} miso ${r.miso} [${r.misoMin}–${r.misoMax}] ${r.unit}  peer ${r.peer ?? '—'}${r.peer === null ? '' : ` [${r.peerMin}–${r.peerMax}]`}`,
    );
}
