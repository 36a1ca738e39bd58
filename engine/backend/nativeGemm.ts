/**
 * OpenBLAS's GEMM from the addon (native/addon/gemm_binding.cc over native/kernels/normscope_gemm.h) as
 * the Backend's optional `gemm`: present only when the addon was built with OpenBLAS and loaded it.
 */
import type { GemmFn } from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import { guard } from './nativeAddonApi.js';

/** The addon's gemm with its errors as RuntimeError; undefined when the addon has none. */
export function wrapGemm(gemm: GemmFn | undefined): GemmFn | undefined {
  if (!gemm) return undefined;
  return (ta: boolean, tb: boolean, m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray) =>
    guard('gemm', () => gemm(ta, tb, m, n, k, a, b, c));
}
