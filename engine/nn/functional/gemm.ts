/**
 * C = A·Bᵀ on the active backend's GEMM (engine/backend/hostGemm.ts): the model runner's matmul uses it.
 */
import { getBackend } from '../../backend/registry.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { gemmABtWith } from '../../backend/hostGemm.js';

export { gemmABtTs, transpose } from '../../backend/hostGemm.js';

export function gemmABt(a: FloatArray, b: FloatArray, m: number, n: number, k: number, c: FloatArray): void {
  gemmABtWith(getBackend().gemm, a, b, m, n, k, c);
}
