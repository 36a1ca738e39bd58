/**
 * C = A·Bᵀ for row-major A (m×k) and B (n×k), the one matrix product of conv (im2col), linear and
 * matmul. gemmABtWith runs it on a backend's GEMM when it has one (native cpu: OpenBLAS dgemm, double
 * accumulation like the TypeScript loop), else on gemmABtTs. The host device (hostDevice.ts) passes its
 * backend's GEMM; engine/nn/functional/gemm.ts the active backend's.
 *
 * gemmABtTs: every C[i][j] is a dot product of two contiguous rows, computed four rows of A by two
 * rows of B at a time (eight accumulators, six loads per eight multiply-adds), which is what makes
 * Linear's forward and both of its gradients fast in plain JS. Accumulates in double; `c` may be
 * float32 or float64.
 */
import type { GemmFn } from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';

/** Below this many multiply-adds the call into the addon costs more than the TypeScript loop. */
const BACKEND_MIN_MACS = 4096;

export function gemmABtWith(
  gemm: GemmFn | undefined,
  a: FloatArray,
  b: FloatArray,
  m: number,
  n: number,
  k: number,
  c: FloatArray,
): void {
  if (!gemm || m * n * k < BACKEND_MIN_MACS) {
    gemmABtTs(a, b, m, n, k, c);
    return;
  }
  // Accumulate in double on every path, as gemmABtTs does (the model parity tests against PyTorch
  // were set with that margin; float32 sgemm moved RegNet's recalibrated running_var past 1e-4):
  // float32 operands run on float64 copies (O(size) next to the O(m·n·k) product).
  const as = (v: FloatArray): Float64Array => (v instanceof Float64Array ? v : Float64Array.from(v));
  const out = c instanceof Float64Array ? c : new Float64Array(m * n);
  gemm(false, true, m, n, k, as(a), as(b), out);
  if (out !== c) c.set(out);
}

/** The TypeScript C = A·Bᵀ (the reference, and the fallback of backends without a GEMM). */
export function gemmABtTs(a: FloatArray, b: FloatArray, m: number, n: number, k: number, c: FloatArray): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const b0 = j * k;
      const b1 = b0 + k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0; // prettier-ignore
      for (let p = 0; p < k; p++) {
        const x0 = b[b0 + p]!;
        const x1 = b[b1 + p]!;
        const y0 = a[a0 + p]!;
        const y1 = a[a1 + p]!;
        const y2 = a[a2 + p]!;
        const y3 = a[a3 + p]!;
        s00 += y0 * x0;
        s01 += y0 * x1;
        s10 += y1 * x0;
        s11 += y1 * x1;
        s20 += y2 * x0;
        s21 += y2 * x1;
        s30 += y3 * x0;
        s31 += y3 * x1;
      }
      c[i * n + j] = s00;
      c[i * n + j + 1] = s01;
      c[(i + 1) * n + j] = s10;
      c[(i + 1) * n + j + 1] = s11;
      c[(i + 2) * n + j] = s20;
      c[(i + 2) * n + j + 1] = s21;
      c[(i + 3) * n + j] = s30;
      c[(i + 3) * n + j + 1] = s31;
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0; // prettier-ignore
      for (let p = 0; p < k; p++) {
        const x0 = b[b0 + p]!;
        s0 += a[a0 + p]! * x0;
        s1 += a[a1 + p]! * x0;
        s2 += a[a2 + p]! * x0;
        s3 += a[a3 + p]! * x0;
      }
      c[i * n + j] = s0;
      c[(i + 1) * n + j] = s1;
      c[(i + 2) * n + j] = s2;
      c[(i + 3) * n + j] = s3;
    }
  }
  for (; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p]! * b[b0 + p]!;
      c[i * n + j] = s;
    }
  }
}

/** The transpose of a row-major rows×cols matrix, in a new array of the same kind. */
export function transpose(a: FloatArray, rows: number, cols: number): FloatArray {
  const t = new (a.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(rows * cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let q = 0; q < cols; q++) t[q * rows + r] = a[off + q]!;
  }
  return t;
}
