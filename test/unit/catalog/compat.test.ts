import { describe, it, expect } from 'vitest';
import { compatibility, envelopeSchema, type AvroDefinition } from '../../../src/core/catalog/index.js';

const base = envelopeSchema('campaign-commands');

function edit(fn: (s: AvroDefinition, create: AvroDefinition) => void): AvroDefinition {
  const s = structuredClone(base);
  fn(s, (s.fields![5]!.type as AvroDefinition[])[0]!);
  return s;
}

describe('schema compatibility (new reader vs registered writer)', () => {
  it('accepts the same schema', () => {
    expect(compatibility(base, base)).toEqual({ compatible: true, problems: [] });
  });

  it('accepts a new optional field with a default', () => {
    const next = edit((_s, c) => c.fields!.push({ name: 'tags', type: { type: 'array', items: 'string' }, default: [], doc: 'labels' }));
    expect(compatibility(next, base).compatible).toBe(true);
  });

  it('accepts a new message type at the end of the union', () => {
    const next = edit((s) =>
      (s.fields![5]!.type as unknown[]).push({
        type: 'record',
        name: 'ArchiveCampaign',
        namespace: 'miso.campaign',
        fields: [{ name: 'campaign_id', type: 'string' }],
      }),
    );
    expect(compatibility(next, base).compatible).toBe(true);
  });

  it('accepts a removed field (the reader skips it) and a promoted type (int → long)', () => {
    const older = edit((_s, c) => {
      c.fields!.push({ name: 'priority', type: 'int', default: 0 });
    });
    const next = edit((_s, c) => {
      c.fields!.push({ name: 'priority', type: 'long', default: 0 });
    });
    expect(compatibility(next, older).compatible).toBe(true);
    expect(compatibility(base, older).compatible).toBe(true);
  });

  it('names a field added without a default', () => {
    const next = edit((_s, c) => c.fields!.push({ name: 'region', type: 'string' }));
    const r = compatibility(next, base);
    expect(r.compatible).toBe(false);
    expect(r.problems).toEqual([{ path: 'payload[CreateCampaign].region', reason: expect.stringMatching(/^was added without a default/) }]);
  });

  it('names a field whose type changed', () => {
    const next = edit((_s, c) => {
      c.fields!.find((f) => f.name === 'user_id')!.type = 'long';
    });
    expect(compatibility(next, base).problems).toEqual([{ path: 'payload[CreateCampaign].user_id', reason: 'changed type from string to long' }]);
  });

  it('names a message type removed from the union', () => {
    const next = edit((s) => {
      s.fields![5]!.type = [(s.fields![5]!.type as unknown[])[0]] as AvroDefinition[];
    });
    const r = compatibility(next, base);
    expect(r.compatible).toBe(false);
    expect(r.problems).toEqual([{ path: 'payload', reason: 'AddVideo was removed from the union; messages written with it can no longer be read' }]);
  });

  it('names lost enum symbols and the 64-bit timestamp narrowed to int', () => {
    const tracking = envelopeSchema('tracking-commands');
    const next = structuredClone(tracking);
    const rec = (next.fields![5]!.type as AvroDefinition[])[0]!;
    (rec.fields!.find((f) => f.name === 'event_type')!.type as AvroDefinition).symbols = ['view', 'click'];
    next.fields![2]!.type = 'int';
    const r = compatibility(next, tracking);
    expect(r.problems).toEqual([
      { path: 'timestamp', reason: 'changed type from long to int' },
      { path: 'payload[CreateTrackingEvent].event_type', reason: 'enum TrackingEventType lost symbol conversion that old messages may carry' },
    ]);
  });
});
