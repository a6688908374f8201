import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulsarClient } from '../../../src/pulsar/index.js';
import { Publisher } from '../../../src/core/publisher.js';
import { MISO_BIN, miso } from '../../support/cli.js';
import { waitUntil } from '../../support/env.js';
import { freshScope } from '../../integration/catalog/scope.js';
import { trackingChain } from '../../integration/dashboard/workflow.js';
import { requireTmux } from '../../support/peers.js';
import { TmuxSession, sh } from './tmux.js';

const OUT_DIR = fileURLToPath(new URL('../../../test-output/', import.meta.url));
const TMUX = requireTmux();

/** The workflows-panel line of one workflow (by its short id), as on screen. */
function workflowLine(screen: string, cid: string): string | undefined {
  return screen.split('\n').find((l) => l.slice(1, 9) === cid.slice(0, 8));
}

/** Start `miso dashboard` in a 160×50 tmux terminal; the shell says how it exited. */
function startDashboard(flags: string[]): TmuxSession {
  // CI=true on purpose: with a terminal checked, the dashboard draws live even where CI
  // variables are set (Ink alone would only draw a final frame there).
  const cmd = `env CI=true TERM=xterm-256color ${sh(process.execPath)} ${sh(MISO_BIN)} dashboard ${flags.map(sh).join(' ')}; echo "miso exited with $?"; sleep 600`;
  return new TmuxSession(cmd, { columns: 160, rows: 50 });
}

describe('miso dashboard without a terminal', () => {
  it('says stdout is not a TTY in one line, points to miso tail, exits non-zero', async () => {
    const r = await miso(['dashboard']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not a TTY/);
    expect(lines[0]).toMatch(/miso tail/);
  });

  it('has no JSON output and says where to get JSON', async () => {
    const r = await miso(['dashboard', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('miso: miso dashboard has no JSON output — Use `miso tail --json` for messages as NDJSON.');
  });

  it('refuses a --since that is not a duration before anything else', async () => {
    const r = await miso(['dashboard', '--since', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('miso: --since "yesterday" is not a duration — Use a number and a unit: 30s, 10m, 2h, 1d (or combined, 1h30m).');
  });

  it('takes the same durations as tail (1h30m): past the flag check, it stops only for the missing terminal', async () => {
    const r = await miso(['dashboard', '--since', '1h30m']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/not a duration/);
    expect(r.stderr).toMatch(/not a TTY/);
  });
});

describe('miso dashboard in a real terminal', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let publisher: Publisher;
  let term: TmuxSession | undefined;

  beforeAll(async () => {
    if (!TMUX) return;
    scope = await freshScope('dashtty');
    client = new PulsarClient({ serviceUrl: scope.cfg.serviceUrl });
    publisher = new Publisher(client, scope.cfg);
  });

  afterAll(async () => {
    term?.kill();
    await publisher?.close();
    await client?.close();
    await scope?.drop();
  });

  it.skipIf(!TMUX)(
    'shows a workflow moving through its stages, opens its trace, filters, resizes and quits cleanly',
    async () => {
      term = startDashboard(scope.flags);
      await term.waitFor((s) => s.includes('● connected') && s.includes('admin ● ok') && s.includes(' Live feed '), 'the dashboard connected');
      // Readers start at "latest": publish only once every reader has subscribed.
      await waitUntil(
        async () => {
          for (const t of ['tracking-commands', 'tracking-events', 'commission-commands', 'commission-events', 'payment-commands', 'payment-events']) {
            const stats = await scope.admin.topicStats(`persistent://${scope.cfg.tenant}/${scope.cfg.namespace}/${t}`);
            if (!Object.keys(stats.subscriptions).some((n) => n.startsWith('miso-reader-'))) return false;
          }
          return true;
        },
        { what: 'dashboard readers subscribed' },
      );

      const steps = trackingChain();
      const cid = steps[0]!.env.correlation_id;
      const expected = [
        /in flight +· campaign → … tracking → · commission → · payment/,
        /done +· campaign → ✓ tracking → · commission → · payment/,
        /in flight +· campaign → ✓ tracking → … commission → · payment/,
        /done +· campaign → ✓ tracking → ✓ commission → · payment/,
        /in flight +· campaign → ✓ tracking → ✓ commission → … payment/,
        /done +· campaign → ✓ tracking → ✓ commission → ✓ payment +[\d.]+m?s +6/,
      ];
      const captures: string[] = [];
      for (const [i, step] of steps.entries()) {
        await publisher.publish(step.env, { topic: step.topic });
        const screen = await term.waitFor((s) => expected[i]!.test(workflowLine(s, cid) ?? ''), `stage ${i + 1}: ${step.env.type}`);
        captures.push(`── after ${step.env.type} ──\n${screen}`);
      }
      const final = captures.at(-1)!;
      expect(final).toMatch(/payment\.processed\.v1 +[0-9a-f]{8} payment=/);
      expect(final).toMatch(/payment-events +\d/);
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(join(OUT_DIR, 'dashboard-capture.txt'), captures.join('\n'));

      // Enter opens the causal trace of the selected (newest) workflow; Esc goes back.
      term.keys('Enter');
      const trace = await term.waitFor((s) => s.includes(`Workflow ${cid}`) && s.includes('└─ payment.processed.v1'), 'the trace view');
      expect(trace).toMatch(/^tracking\.create_event\.command\.v1 tracking-commands/m);
      expect(trace).toMatch(/^ {12}└─ payment\.processed\.v1 payment-events [\d:.]+ \+\d+ ms/m);
      term.keys('Escape');
      await term.waitFor((s) => s.includes(' Live feed ') && !s.includes(`Workflow ${cid}`), 'back to the panels');

      // The filter hides what does not match, and Esc clears it.
      term.keys('/');
      term.type('cid:nomatch');
      term.keys('Enter');
      await term.waitFor((s) => s.includes('no message matches "cid:nomatch"') && workflowLine(s, cid) === undefined, 'the filter applied');
      term.keys('Escape');
      await term.waitFor((s) => workflowLine(s, cid) !== undefined, 'the filter cleared');

      // Resizing: too small says so; large again draws the panels again.
      term.resize(70, 20);
      await term.waitFor((s) => s.includes('Terminal too small (70×20)'), 'the too-small message');
      term.resize(160, 50);
      await term.waitFor((s) => s.includes(' Workflows ') && workflowLine(s, cid) !== undefined, 'the panels after resizing back');

      term.keys('q');
      const after = await term.waitFor((s) => s.includes('miso exited with 0'), 'miso to exit');
      // The alternate screen is gone: the dashboard's frame is not left on the terminal.
      expect(after).not.toContain(' Live feed ');
      // Readers closed on exit: no reader subscription remains.
      await waitUntil(
        async () => {
          const stats = await scope.admin.topicStats(`persistent://${scope.cfg.tenant}/${scope.cfg.namespace}/payment-events`);
          return !Object.keys(stats.subscriptions).some((n) => n.startsWith('miso-reader-'));
        },
        { what: 'reader subscriptions closed' },
      );
    },
    120_000,
  );
});

describe('miso dashboard with the four services running', () => {
  let scope: Awaited<ReturnType<typeof freshScope>>;
  let client: PulsarClient;
  let publisher: Publisher;
  let services: ChildProcess | undefined;
  let dataDir: string;
  let term: TmuxSession | undefined;

  beforeAll(async () => {
    if (!TMUX) return;
    scope = await freshScope('dashsvc');
    client = new PulsarClient({ serviceUrl: scope.cfg.serviceUrl });
    publisher = new Publisher(client, scope.cfg);
    dataDir = mkdtempSync(join(tmpdir(), 'miso-dash-svc-'));
    services = spawn(process.execPath, [MISO_BIN, 'run', 'all', ...scope.flags, '--port', '0', '--data-dir', dataDir], { stdio: 'ignore' });
  });

  afterAll(async () => {
    term?.kill();
    if (services && services.exitCode === null) {
      services.kill('SIGTERM');
      await new Promise((r) => services!.once('exit', r));
    }
    await publisher?.close();
    await client?.close();
    await scope?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!TMUX)(
    'shows the services up and a tracking workflow they carry through commission to payment',
    async () => {
      term = startDashboard(scope.flags);
      await term.waitFor((s) => /campaign ● up\(1\) +tracking ● up\(1\) +commission ● up\(1\) +payment ● up\(1\)/.test(s), 'the four services up', 60_000);
      await waitUntil(
        async () => {
          const stats = await scope.admin.topicStats(`persistent://${scope.cfg.tenant}/${scope.cfg.namespace}/payment-events`);
          return Object.keys(stats.subscriptions).some((n) => n.startsWith('miso-reader-'));
        },
        { what: 'dashboard readers subscribed' },
      );

      const created = await publisher.sendCommand('campaign.create', { user_id: 'creator-1', name: 'Summer launch' });
      const campaignId = (created.envelope.payload as { campaign_id: string }).campaign_id;
      await term.waitFor((s) => /done +✓ campaign → · tracking/.test(workflowLine(s, created.correlationId) ?? ''), 'the campaign created');
      const video = await publisher.sendCommand('campaign.add_video', { campaign_id: campaignId, url: 'https://videos.example/teaser.mp4', title: 'Teaser' });
      const videoId = (video.envelope.payload as { video_id: string }).video_id;
      await term.waitFor((s) => /done +✓ campaign/.test(workflowLine(s, video.correlationId) ?? ''), 'the video added');
      const tracked = await publisher.sendCommand('tracking.create_event', {
        event_type: 'conversion',
        campaign_id: campaignId,
        video_id: videoId,
        visitor_id: 'visitor-7',
        sale_amount_minor: 12_500,
      });
      const screen = await term.waitFor(
        (s) => /done +· campaign → ✓ tracking → ✓ commission → ✓ payment +\d+ms +6/.test(workflowLine(s, tracked.correlationId) ?? ''),
        'the tracking workflow paid',
        30_000,
      );
      expect(screen).toMatch(/EVT payment\.processed\.v1 +[0-9a-f]{8} payment=.* status=paid/);
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(join(OUT_DIR, 'dashboard-capture-services.txt'), screen);
      term.keys('q');
      await term.waitFor((s) => s.includes('miso exited with 0'), 'miso to exit');
    },
    120_000,
  );
});
