/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as Pulsar uses over
 * metadata + payload. Table-driven, slicing-by-8: eight 256-entry tables let the loop
 * consume eight bytes per step, which matters for large batches.
 */
const POLY = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  t.push(t0);
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1]!;
    const cur = new Uint32Array(256);
    for (let i = 0; i < 256; i++) cur[i] = (prev[i]! >>> 8) ^ t0[prev[i]! & 0xff]!;
    t.push(cur);
  }
  return t;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** Word-at-a-time reads assume the host's byte order matches the table layout (little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Continue a CRC32C over `data[start, end)`. Start with `crc = 0` for a fresh checksum;
 * pass a previous result to extend it over a following chunk.
 */
export function crc32c(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  let c = ~crc >>> 0;
  let i = start;
  if (LITTLE_ENDIAN) {
    // Align to 4 bytes, then read 32-bit words through a typed-array view (much faster
    // than assembling them from bytes).
    while (i < end && ((data.byteOffset + i) & 3) !== 0) c = T0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
    const pairs = (end - i) >>> 3;
    if (pairs > 0) {
      const u = new Uint32Array(data.buffer, data.byteOffset + i, pairs * 2);
      for (let w = 0; w < u.length; w += 2) {
        const lo = u[w]! ^ c;
        const hi = u[w + 1]!;
        c =
          T7[lo & 0xff]! ^
          T6[(lo >>> 8) & 0xff]! ^
          T5[(lo >>> 16) & 0xff]! ^
          T4[lo >>> 24]! ^
          T3[hi & 0xff]! ^
          T2[(hi >>> 8) & 0xff]! ^
          T1[(hi >>> 16) & 0xff]! ^
          T0[hi >>> 24]!;
      }
      i += pairs * 8;
    }
  } else {
    const stop8 = end - ((end - i) & 7);
    while (i < stop8) {
      const lo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
      c =
        T7[lo & 0xff]! ^
        T6[(lo >>> 8) & 0xff]! ^
        T5[(lo >>> 16) & 0xff]! ^
        T4[lo >>> 24]! ^
        T3[data[i + 4]!]! ^
        T2[data[i + 5]!]! ^
        T1[data[i + 6]!]! ^
        T0[data[i + 7]!]!;
      i += 8;
    }
  }
  while (i < end) c = T0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
