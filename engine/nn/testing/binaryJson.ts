/**
 * JSON transport for large tensors between the differential test and the Python oracle: encoded
 * tensors of at least BINARY_MIN elements travel as base64 of their little-endian bytes
 * ({dtype, shape, b64}) instead of decimal lists (see tools/parity_fixtures/common.py), which keeps
 * a batch of big cases to a few MB and parses fast. In memory they are always {dtype, shape, data}.
 */
import type { EncTensor } from './fixtures.js';

export const BINARY_MIN = 4096;

function isEnc(v: unknown): v is EncTensor {
  return (
    !!v && typeof v === 'object' && Array.isArray((v as EncTensor).data) && typeof (v as EncTensor).dtype === 'string'
  );
}

function toBytes(e: EncTensor): Buffer {
  if (e.dtype === 'float32') return Buffer.from(Float32Array.from(e.data).buffer);
  if (e.dtype === 'float64') return Buffer.from(Float64Array.from(e.data).buffer);
  if (e.dtype === 'int64') return Buffer.from(BigInt64Array.from(e.data.map((v) => BigInt(v))).buffer);
  throw new Error(`no binary encoding for ${e.dtype}`);
}

/** JSON.stringify with large encoded tensors as base64 (the machine is little-endian, like the oracle's). */
export function stringifyBinary(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isEnc(v) && v.data.length >= BINARY_MIN
      ? { dtype: v.dtype, shape: v.shape, b64: toBytes(v).toString('base64') }
      : v,
  );
}

/** JSON.parse turning {dtype, shape, b64} back into {dtype, shape, data}. */
export function parseBinary<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (!v || typeof v !== 'object' || typeof (v as { b64?: unknown }).b64 !== 'string') return v;
    const { dtype, shape, b64 } = v as { dtype: EncTensor['dtype']; shape: number[]; b64: string };
    const buf = Buffer.from(b64, 'base64');
    const bytes = new Uint8Array(buf.byteLength);
    bytes.set(buf);
    let data: number[];
    if (dtype === 'float32') data = Array.from(new Float32Array(bytes.buffer));
    else if (dtype === 'float64') data = Array.from(new Float64Array(bytes.buffer));
    else if (dtype === 'int64') data = Array.from(new BigInt64Array(bytes.buffer), (b) => Number(b));
    else throw new Error(`no binary encoding for ${dtype}`);
    return { dtype, shape, data };
  }) as T;
}
