/**
 * Argument checks in front of compiled kernels that trust their inputs: the native addon checks again
 * in C++ (native/addon/args.h), the WebAssembly module does not, so its wrapper runs all of them with
 * the addon's texts.
 */
import type { NCS } from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';

/** A data array must hold exactly the (N, C, S) it is described as. */
export function checkLength(what: string, arr: FloatArray, { n, c, s }: NCS): void {
  if (arr.length !== n * c * s) {
    throw new RuntimeError(`${what}: array of ${arr.length} elements does not match (N, C, S) = (${n}, ${c}, ${s})`);
  }
}

/** The addon's checks (native/addon/addon.cc): one data type, long enough arrays and channel rows. */
export function checkArgs(
  what: string,
  d: NCS,
  arrays: FloatArray[],
  chans: [string, FloatArray | Float64Array | null][],
): void {
  const total = d.n * d.c * d.s;
  const f64 = arrays[0] instanceof Float64Array;
  for (const a of arrays) {
    if (a instanceof Float64Array !== f64) {
      throw new RuntimeError(`${what}: x, y, dy and dx must all be Float32Array or all Float64Array`);
    }
    if (a.length < total) throw new RuntimeError(`${what}: a data array is shorter than n*c*s`);
  }
  for (const [name, a] of chans) {
    if (a && a.length < d.c) throw new RuntimeError(`${what}: ${name} is shorter than the channel count`);
  }
}

/**
 * The elementwise bindings' length checks (native/addon/elementwise_binding.cc): n a non-negative
 * integer, data arrays at least n long, scalar arrays (results, the incoming gradient) at least 1; null
 * arrays are skipped. (Mixed array types never reach the binding: nativeElementwise.ts runs them on
 * the TypeScript reference.)
 */
export function checkFlat(what: string, n: number, data: (FloatArray | null)[], scalars: FloatArray[] = []): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RuntimeError(`${what}: n must be a non-negative integer`);
  for (const a of data) {
    if (a && a.length < n) throw new RuntimeError(`${what}: an array of ${a.length} elements is shorter than n = ${n}`);
  }
  for (const a of scalars) if (a.length < 1) throw new RuntimeError(`${what}: a scalar array is empty`);
}

/**
 * Whether the non-null arrays are not all of one float type. The compiled elementwise kernels take one
 * type per call; such mixed calls run the TypeScript reference.
 */
export function mixedFloatTypes(arrays: (FloatArray | null)[]): boolean {
  let f64: boolean | null = null;
  for (const a of arrays) {
    if (!a) continue;
    if (f64 === null) f64 = a instanceof Float64Array;
    else if (a instanceof Float64Array !== f64) return true;
  }
  return false;
}
