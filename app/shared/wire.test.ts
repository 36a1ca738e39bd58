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

  it('round-trips every tail length and a buffer larger than one chunk', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 200_003]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    }
    expect(bytesToBase64(Uint8Array.from([0xfb, 0xff]))).toBe('+/8=');
  });

  it('refuses malformed base64 with one error', () => {
    for (const bad of ['AA A', 'A$==', 'AAAA=A', 'A', 'AAA==='])
      expect(() => base64ToBytes(bad), bad).toThrow('invalid base64 in message');
  });
});

describe('wire format: hostile messages', () => {
  const tagged = (obj: unknown) => `{"t":"call","id":1,"method":"app.info","payload":${JSON.stringify(obj)}}`;

  it('refuses a $ta naming a prototype member ("constructor", "__proto__", "toString")', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'DataView'])
      expect(() => decodeMessage(tagged({ $ta: name, b64: 'AAAA' }))).toThrow(`unknown typed array ${name} in message`);
  });

  it('refuses malformed base64, lengths that are not a whole number of elements, and bad $big', () => {
    expect(() => decodeMessage(tagged({ $ta: 'Float32Array', b64: '!!!!' }))).toThrow('invalid base64 in message');
    expect(() => decodeMessage(tagged({ $ta: 'Float32Array', b64: 'AAA=' }))).toThrow(
      'Float32Array of 2 bytes is not a whole number of elements',
    );
    for (const big of ['1e5', '', ' 1', '1'.repeat(21), '0x10'])
      expect(() => decodeMessage(tagged({ $big: big }))).toThrow();
    expect(decodeMessage<{ payload: bigint }>(tagged({ $big: '-9223372036854775808' })).payload).toBe(-(2n ** 63n));
  });

  it('leaves look-alike objects with extra keys as plain data', () => {
    const m = decodeMessage<{ payload: unknown }>(tagged({ $ta: 'constructor', b64: 'AA', x: 1 }));
    expect(m.payload).toEqual({ $ta: 'constructor', b64: 'AA', x: 1 });
  });
});
