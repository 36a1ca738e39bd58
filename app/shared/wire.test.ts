import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeMessage, encodeMessage } from './wire.js';

describe('wire format', () => {
  it('round-trips typed arrays, NaN/inf and bigint', () => {
    const value = {
      a: new Float32Array([1.5, NaN, -Infinity]),
      b: new Int32Array([-3, 7]),
      c: NaN,
      d: 12n,
      e: [new Uint8Array(0)],
    };
    const back = decodeMessage<{ t: 'result'; id: number; ok: true; value: typeof value }>(
      encodeMessage({ t: 'result', id: 1, ok: true, value }),
    );
    expect(back.value.a).toBeInstanceOf(Float32Array);
    expect(Array.from(back.value.a)).toEqual([1.5, NaN, -Infinity]);
    expect(Array.from(back.value.b)).toEqual([-3, 7]);
    expect(back.value.c).toBeNaN();
    expect(back.value.d).toBe(12n);
    expect(back.value.e[0]).toBeInstanceOf(Uint8Array);
  });

  it('matches btoa for every tail length', () => {
    for (let n = 0; n < 7; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(bytesToBase64(bytes)).toBe(btoa(String.fromCharCode(...bytes)));
      expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
    }
  });
});
