import { describe, it, expect } from 'vitest';
import { Chalk } from 'chalk';
import { buildTrace, type TraceMessage } from '../../../src/core/trace.js';
import { renderTrace, traceJson, ms } from '../../../src/ui/render/trace.js';
import { prettyLine, jsonRecord, jsonLine, money, keyFields, tableRow } from '../../../src/ui/render/message.js';
import { newEnvelope } from '../../../src/core/catalog/index.js';
import { SAMPLES } from './samples.js';

const plain = new Chalk({ level: 0 });

function m(id: string, type: string, cause: string | null, t: number, payload: unknown = {}): TraceMessage {
  return {
    id,
    type,
    correlationId: 'wf-abcdef123',
    causationId: cause,
    timestamp: t,
    publishTime: t,
    topic: `persistent://t/ns/${type.split('.')[0]}-x`,
    payload,
  };
}

describe('trace rendering', () => {
  it('draws the tree with latencies, marks and a header', () => {
    const trace = buildTrace('wf-abcdef123', [
      m('a', 'campaign.create.command.v1', null, 1000, SAMPLES['campaign.create.command.v1']),
      m('b', 'campaign.created.v1', 'a', 1012, SAMPLES['campaign.created.v1']),
      m('c', 'campaign.add_video.command.v1', 'a', 1020),
      m('d', 'command.rejected.v1', 'c', 1025, SAMPLES['command.rejected.v1']),
    ]);
    const lines = renderTrace(trace, plain);
    expect(lines[0]).toBe(
      'workflow wf-abcdef123 · 4 messages · total 25 ms · slowest hop campaign.create.command.v1 → campaign.add_video.command.v1 20 ms · 1 rejected',
    );
    expect(lines[1]).toMatch(
      /^campaign\.create\.command\.v1 campaign-x \d\d:\d\d:\d\d\.\d{3}  campaign=a3c4f7e2-1b7d-4c1e-9a51-0b6f3f1d2e01 name="My Campaign" owner=user123 budget=5000\.00 EUR$/,
    );
    expect(lines[2]).toMatch(/^├─ campaign\.created\.v1 .* \+12 ms /);
    expect(lines[3]).toMatch(/^└─ campaign\.add_video\.command\.v1 .* \+20 ms .*✖ rejected ← slowest$/);
    expect(lines[4]).toMatch(
      /^   └─ command\.rejected\.v1 .* \+5 ms  command=campaign\.create\.command\.v1 reason=validation_failed message="name must not be empty"$/,
    );
  });

  it('gives a JSON tree', () => {
    const trace = buildTrace('wf-abcdef123', [m('a', 'payment.process.command.v1', null, 0), m('b', 'payment.processed.v1', 'a', 7)]);
    const j = traceJson(trace) as { roots: { id: string; children: { id: string; latency_ms: number }[] }[]; duration_ms: number };
    expect(j.duration_ms).toBe(7);
    expect(j.roots[0]!.children[0]).toMatchObject({ id: 'b', latency_ms: 7 });
  });

  it('formats durations', () => {
    expect(ms(12.4)).toBe('12 ms');
    expect(ms(1534)).toBe('1.53 s');
    expect(ms(125_000)).toBe('2 min 5 s');
  });
});

describe('message rendering', () => {
  it('formats money from minor units with the currency decimals', () => {
    expect(money(1299, 'USD')).toBe('12.99 USD');
    expect(money(5, 'EUR')).toBe('0.05 EUR');
    expect(money(1299, 'JPY')).toBe('1299 JPY');
    expect(money(-250, 'USD')).toBe('-2.50 USD');
  });

  it('picks the key fields of each type', () => {
    expect(keyFields('payment.processed.v1', newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1']).payload)).toBe(
      'payment=p-1 status=paid amount=13.00 USD ref=prov-77',
    );
    expect(keyFields('tracking.create_event.command.v1', { ...SAMPLES['tracking.create_event.command.v1'], currency: 'USD' })).toBe(
      'event=te-1 type=conversion campaign=c-1 sale=129.99 USD',
    );
  });

  it('renders a pretty line, a JSON record that carries the envelope, a table row, and undecodable messages', () => {
    const env = newEnvelope('video.added.v1', SAMPLES['video.added.v1'], { correlationId: '0123456789abcdef' });
    const shown = { topic: 'persistent://t/ns/campaign-events', publishTime: Date.UTC(2025, 0, 1), messageId: '1:2:-1:-1', key: 'c-1', envelope: env };
    expect(prettyLine(shown, plain)).toMatch(/^\d\d:\d\d:\d\d\.000 campaign-events +video\.added\.v1 +wf:01234567 campaign=c-1 video=v-1 title=Unboxing$/);
    expect(jsonRecord(shown)).toEqual({ ...env, meta: { topic: shown.topic, publish_time: '2025-01-01T00:00:00.000Z', message_id: '1:2:-1:-1', key: 'c-1' } });
    expect(tableRow(shown).slice(1, 5)).toEqual(['campaign-events', 'video.added.v1', '01234567', 'c-1']);
    const bad = { topic: 'persistent://t/ns/campaign-events', publishTime: 0, messageId: '1:3:-1:-1', error: 'cannot decode: truncated' };
    expect(prettyLine(bad, plain)).toMatch(/UNDECODABLE +1:3:-1:-1 cannot decode: truncated$/);
    expect(jsonRecord(bad)).toEqual({
      meta: { topic: bad.topic, publish_time: '1970-01-01T00:00:00.000Z', message_id: '1:3:-1:-1', error: 'cannot decode: truncated' },
    });
  });
});

describe('jsonLine (the fast NDJSON path)', () => {
  it('equals JSON.stringify(jsonRecord(m)) for decoded, dead-letter and undecodable messages', () => {
    const env = newEnvelope('payment.processed.v1', SAMPLES['payment.processed.v1'], { correlationId: 'wf "quoted"' });
    const cases = [
      { topic: 'persistent://t/ns/payment-events', publishTime: Date.UTC(2025, 4, 6, 7, 8, 9, 10), messageId: '5:6:-1:2', key: 'co-1', envelope: env },
      { topic: 'persistent://t/ns/payment-commands-payment-service-DLQ', publishTime: 5, messageId: '5:7:-1:-1', deadLetter: true, envelope: env },
      { topic: 'persistent://t/ns/payment-events', publishTime: 6, error: 'cannot decode "x"' },
    ];
    for (const c of cases) expect(jsonLine(c)).toBe(JSON.stringify(jsonRecord(c)));
  });
});

describe('send progress', () => {
  it('draws a bar with count and rate', async () => {
    const { progressBar } = await import('../../../src/ui/render/send.js');
    expect(progressBar({ sent: 50, total: 100, elapsedMs: 500 })).toBe(`\r[${'#'.repeat(15)}${' '.repeat(15)}] 50/100  100/s`);
  });
});
