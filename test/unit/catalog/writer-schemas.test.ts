import { describe, expect, it } from 'vitest';
import { WriterSchemas, type SchemaRegistry } from '../../../src/core/read/writer-schemas.js';

/** A registry that answers from a table and counts the questions (pure code under test: no broker). */
function registry(table: Record<string, { type?: string; schema: string } | 'fail'>): SchemaRegistry & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async getSchema(topic, version) {
      const key = `${topic}@${version!.toString('hex')}`;
      asked.push(key);
      const v = table[key];
      if (v === 'fail') throw new Error('registry unreachable');
      return v;
    },
  };
}

describe('WriterSchemas', () => {
  it('asks once per (topic, version), then answers synchronously', async () => {
    const r = registry({ 't@01': { type: 'AVRO', schema: 'S1' }, 't@02': { type: 'AVRO', schema: 'S2' } });
    const cache = new WriterSchemas(r);
    const v1 = Buffer.from([1]);
    const first = cache.lookup({ topic: 't', schemaVersion: v1 });
    expect(first).toBeInstanceOf(Promise);
    // A second message before the answer shares the same question.
    expect(cache.lookup({ topic: 't', schemaVersion: Buffer.from([1]) })).toBe(first);
    expect(await first).toBe('S1');
    expect(cache.lookup({ topic: 't', schemaVersion: v1 })).toBe('S1');
    expect(await cache.of({ topic: 't', schemaVersion: Buffer.from([2]) })).toBe('S2');
    // Back to version 1: known, no new question.
    expect(cache.lookup({ topic: 't', schemaVersion: Buffer.from([1]) })).toBe('S1');
    expect(r.asked).toEqual(['t@01', 't@02']);
  });

  it('no version stamped: undefined (our schema applies), nothing asked', () => {
    const r = registry({});
    const cache = new WriterSchemas(r);
    expect(cache.lookup({ topic: 't' })).toBeUndefined();
    expect(cache.lookup({ topic: 't', schemaVersion: Buffer.alloc(0) })).toBeUndefined();
    expect(r.asked).toEqual([]);
  });

  it('a version the registry has no Avro schema for: null, remembered', async () => {
    const r = registry({ 't@09': { type: 'STRING', schema: '' } });
    const cache = new WriterSchemas(r);
    expect(await cache.of({ topic: 't', schemaVersion: Buffer.from([8]) })).toBeNull();
    expect(await cache.of({ topic: 't', schemaVersion: Buffer.from([9]) })).toBeNull();
    expect(cache.lookup({ topic: 't', schemaVersion: Buffer.from([8]) })).toBeNull();
    expect(r.asked).toEqual(['t@08', 't@09']);
  });

  it('a registry that cannot be asked: rejects, and the next message asks again', async () => {
    const table: Record<string, { schema: string } | 'fail'> = { 't@03': 'fail' };
    const r = registry(table);
    const cache = new WriterSchemas(r);
    await expect(cache.of({ topic: 't', schemaVersion: Buffer.from([3]) })).rejects.toThrow('registry unreachable');
    table['t@03'] = { schema: 'S3' };
    expect(await cache.of({ topic: 't', schemaVersion: Buffer.from([3]) })).toBe('S3');
    expect(r.asked).toEqual(['t@03', 't@03']);
  });

  it('keeps topics apart', async () => {
    const r = registry({ 'a@01': { schema: 'A' }, 'b@01': { schema: 'B' } });
    const cache = new WriterSchemas(r);
    expect(await cache.of({ topic: 'a', schemaVersion: Buffer.from([1]) })).toBe('A');
    expect(await cache.of({ topic: 'b', schemaVersion: Buffer.from([1]) })).toBe('B');
  });
});
