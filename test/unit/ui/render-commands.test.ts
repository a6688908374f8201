import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { brokerDownLine, brokerProgressText, brokerStatusLines, brokerUpLines } from '../../../src/ui/render/broker.js';
import { demoStepText } from '../../../src/ui/render/demo.js';
import { deadLetterListLines, replayLines } from '../../../src/ui/render/dlq.js';
import { serviceStartedLines, servicesStoppedLine } from '../../../src/ui/render/run.js';
import { profileListLines, settingsLines } from '../../../src/ui/render/config.js';
import type { UpResult } from '../../../src/broker/commands.js';
import type { DeadLetter } from '../../../src/core/dlq.js';

const plain = new Chalk({ level: 0 });

describe('broker text', () => {
  const up = {
    alreadyRunning: false,
    seconds: 12.34,
    profile: 'local',
    serviceUrl: 'pulsar://127.0.0.1:6650',
    adminUrl: 'http://127.0.0.1:8080',
    state: { kind: 'local', pid: 4242, version: '4.0.8' },
    init: { ok: true, tenant: 't', namespace: 'ns', counts: { created: 19, exists: 0, updated: 0, skipped: 0, failed: 0 } },
  } as unknown as UpResult;

  it('up: readiness, URLs, profile, init counts, where the logs are', () => {
    expect(brokerUpLines(up, plain)).toEqual([
      '✔ Pulsar 4.0.8 ready in 12.3 s (pid 4242)',
      '  service URL  pulsar://127.0.0.1:6650',
      '  admin URL    http://127.0.0.1:8080',
      '  profile      local',
      '  init         t/ns: 19 created, 0 already there, 0 updated',
      '  logs         miso broker logs -f',
    ]);
    expect(brokerUpLines({ ...up, alreadyRunning: true }, plain)[0]).toBe('✔ Pulsar 4.0.8 is already running (pid 4242)');
  });

  it('status and down, running or not', () => {
    expect(brokerStatusLines({ running: false, ready: false, dataBytes: 2_500_000, dataDir: '/d', logFile: '/l' })).toEqual([
      'Broker: not running (start it with `miso broker up`)',
      '  data      /d (2.5 MB)',
    ]);
    expect(
      brokerStatusLines({
        running: true,
        ready: false,
        pid: 7,
        version: '4.0.8',
        startedAt: 'then',
        serviceUrl: 's',
        adminUrl: 'a',
        dataBytes: 0,
        dataDir: '/d',
        logFile: '/l',
      })[0],
    ).toBe('Broker: running (not ready yet) — Pulsar 4.0.8, pid 7, since then');
    expect(brokerDownLine({ stopped: true, pid: 7 }, plain)).toBe('✔ stopped the broker (pid 7); its ports are free');
    expect(brokerDownLine({ stopped: false }, plain)).toBe('No broker started by miso is running.');
  });
});

describe('dlq text', () => {
  const letter = {
    id: '12:3:-1:-1',
    service: 'payment',
    deadLetteredAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    originTopic: 'persistent://t/ns/payment-commands',
    originMessageId: '9:1:-1:-1',
    redeliveryCount: undefined,
    lastError: 'provider down',
    key: 'k',
    properties: { type: 'payment.process.command.v1', correlation_id: 'abcdef123456' },
    envelope: undefined,
    decodeError: 'bad bytes',
    replayed: [],
  } as unknown as DeadLetter;

  it('lists three lines per letter and a closing line; says so when there is none', () => {
    expect(deadLetterListLines([letter], plain, { tenant: 't', namespace: 'ns' })).toEqual([
      '12:3:-1:-1  2026-01-02T03:04:05.000Z  payment  payment.process.command.v1  wf abcdef12',
      '  from persistent://t/ns/payment-commands 9:1:-1:-1  redeliveries ≥ max',
      '  error provider down',
      '1 dead letter(s). `miso dlq show <id>` for one, `miso dlq replay <id>` or `--all` to send back.',
    ]);
    expect(deadLetterListLines([], plain, { tenant: 't', namespace: 'ns', since: '1h' })).toEqual(['No dead letters in t/ns in the last 1h.']);
  });

  it('replay: one line per letter, dry run says "would"', () => {
    const r = {
      id: '1:2:-1:-1',
      service: 'payment' as const,
      to: 'payment-commands',
      type: 'payment.process.command.v1',
      correlationId: 'wf1',
      messageId: '5:6:-1:-1',
      commandId: 'c1',
    };
    expect(replayLines([r], false, plain)[0]).toBe('✔ replayed 1:2:-1:-1 payment.process.command.v1 → payment-commands as 5:6:-1:-1  (trace: miso trace wf1)');
    expect(replayLines([{ ...r, messageId: undefined }], true, plain)).toEqual([
      'would replay 1:2:-1:-1 payment.process.command.v1 → payment-commands  (trace: miso trace wf1)',
    ]);
    expect(replayLines([], false, plain)).toEqual(['Nothing to replay.']);
  });
});

describe('run text', () => {
  it('a started service and what the stop left', () => {
    expect(
      serviceStartedLines(
        {
          name: 'payment',
          mode: 'event',
          url: 'http://127.0.0.1:8104',
          db: '/x/payment.db',
          topics: ['payment-commands'],
          subscription: 'payment-service',
          keyShared: false,
        },
        plain,
      ),
    ).toEqual(['● payment service  event mode  http://127.0.0.1:8104/health  db /x/payment.db', '  consuming payment-commands as payment-service (Shared)']);
    expect(servicesStoppedLine({ payment: 0 })).toBe('Stopped; every outbox is empty.');
    expect(servicesStoppedLine({ payment: 2, campaign: 0 })).toBe('Stopped; unpublished messages are kept and go out on the next start: payment 2.');
  });
});

describe('config text', () => {
  it('profiles with the default starred; a first step when there is none', () => {
    expect(
      profileListLines([
        { name: 'local', current: true, settings: { serviceUrl: 'pulsar://x' } },
        { name: 'prod', current: false, settings: {} },
      ]),
    ).toEqual(['* local', '    serviceUrl = pulsar://x', '  prod']);
    expect(profileListLines([])[0]).toMatch(/^No profiles yet\./);
  });

  it('settings in a column with their source', () => {
    const lines = settingsLines(undefined, { tenant: 'miso', token: null }, { tenant: 'env' });
    expect(lines[0]).toBe('profile: (none)');
    expect(lines[1]).toBe(`  ${'tenant'.padEnd(18)} ${'miso'.padEnd(40)} (env)`);
    expect(lines[2]).toBe(`  ${'token'.padEnd(18)} ${'-'.padEnd(40)} (default)`);
  });
});

describe('progress lines', () => {
  it('words what broker up is busy with', () => {
    expect(brokerProgressText({ stage: 'fetch', version: '4.0.8', bytes: 0, percent: 0, seconds: 0 })).toBe(
      'Fetching Pulsar 4.0.8 from Maven Central (about 240 MB, once)…',
    );
    expect(brokerProgressText({ stage: 'fetch', version: '4.0.8', bytes: 120_400_000, percent: 49, seconds: 12.2 })).toBe(
      'Fetching Pulsar 4.0.8 from Maven Central: 120 MB (49%), 12 s',
    );
    expect(brokerProgressText({ stage: 'unpack', version: '4.0.8' })).toBe('Unpacking Pulsar 4.0.8…');
    expect(brokerProgressText({ stage: 'cached', version: '4.0.8', dir: '/c', seconds: 30.04 })).toBe('Pulsar 4.0.8 cached in /c (30.0 s)');
    expect(brokerProgressText({ stage: 'start', version: '4.0.8', serviceUrl: 'pulsar://127.0.0.1:6650', seconds: 7.6 })).toBe(
      'Starting Pulsar 4.0.8 on pulsar://127.0.0.1:6650 (8 s)…',
    );
  });

  it('words each step of the demo', () => {
    expect(demoStepText({ step: 'init', tenant: 't', namespace: 'ns' })).toBe('init t/ns');
    expect(demoStepText({ step: 'services', reused: true })).toBe('using the services an earlier `miso demo --keep` left running');
    expect(demoStepText({ step: 'services', reused: false })).toBe('starting the four services (miso run …)');
    expect(demoStepText({ step: 'tracking', views: 3, clicks: 2, conversions: 1 })).toBe('tracking: 3 views, 2 clicks, 1 conversions per video');
    expect(demoStepText({ step: 'waiting', workflows: 12 })).toBe('waiting for 12 workflows to reach payment');
  });
});
