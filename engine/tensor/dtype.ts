/**
 * Data types the engine knows. Compute happens in float32/float64; the other types load, display,
 * convert and save. float16 and bfloat16 are stored as their raw 16-bit patterns in a Uint16Array;
 * bool as 0/1 bytes in a Uint8Array; int64 as a BigInt64Array.
 */
import { POOL_MIN_BYTES, takeBuffer } from './allocator.js';

export type DType =
  'float16' | 'bfloat16' | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

export type FloatArray = Float32Array | Float64Array;
export type TypedArray =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array;

export const DTYPES: readonly DType[] = [
  'float16',
  'bfloat16',
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
  'bool',
];

/** Bytes per element. */
export function itemSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
      return 2;
    default:
      return 1;
  }
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float32' || dtype === 'float64';
}

/** The dtypes the engine computes in. */
export function isComputeDtype(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

/**
 * A zero-filled typed array of the right kind for `dtype`. Arrays of POOL_MIN_BYTES or more come from
 * the host allocator's cache (engine/tensor/allocator.ts); a scope never releases them by itself.
 */
export function allocate(dtype: DType, n: number): TypedArray {
  const bytes = n * itemSize(dtype);
  if (bytes < POOL_MIN_BYTES) return arrayOf(dtype, n);
  return arrayOn(dtype, takeBuffer(bytes, true, false), n);
}

/**
 * A typed array whose values are unspecified, for a kernel output or gradient that is written in full
 * before anyone reads it. It comes from the host allocator's cache, and (`scoped`, the default) a tidy()
 * scope releases it when no tensor returned from (or kept in) the scope holds it (engine/tensor/scope.ts).
 */
export function allocateUninit(dtype: DType, n: number, scoped = true): TypedArray {
  const bytes = n * itemSize(dtype);
  if (bytes < POOL_MIN_BYTES) return arrayOf(dtype, n);
  return arrayOn(dtype, takeBuffer(bytes, false, scoped), n);
}

function arrayOf(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
  }
}

/** A typed array of `dtype` over the whole of `buf` (n elements). */
function arrayOn(dtype: DType, buf: ArrayBuffer, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
  }
}

/** The dtype a typed array implies when none is given (Uint16Array is ambiguous: float16 is assumed). */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'float16';
  if (a instanceof Int8Array) return 'int8';
  return 'uint8';
}

/** PyTorch's spelling, e.g. `torch.float32`, for messages and reprs. */
export function torchName(dtype: DType): string {
  return `torch.${dtype}`;
}

// ---- 16-bit float conversion (IEEE half and bfloat16), used when reading, displaying and casting ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round-to-nearest-even float → half bits. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

export function bfloat16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** Round-to-nearest-even float → bfloat16 bits. */
export function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounding = 0x7fff + ((x >>> 16) & 1);
  return ((x + rounding) >>> 16) & 0xffff;
}
