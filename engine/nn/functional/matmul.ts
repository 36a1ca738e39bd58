/**
 * Matrix products: ONNX Gemm (Y = alpha·op(A)·op(B) + beta·C, C broadcast to Y) and MatMul (numpy
 * semantics: 1-D operands gain a dimension that is dropped again, batch dimensions broadcast). Every
 * product runs on gemmABt (register-blocked dot products accumulated in double); the operands are
 * transposed into the rows it reads when needed. Gradients of broadcast batch dimensions are summed back.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { broadcastShapes, expandTo, sumToShape } from '../../tensor/broadcast.js';
import { gemmABt, transpose } from './gemm.js';

/** out[m×n] = op(A)·op(B) with op(A) m×k (A stored k×m when tA) and op(B) k×n (B stored n×k when tB). */
function mm(
  a: FloatArray,
  tA: boolean,
  b: FloatArray,
  tB: boolean,
  m: number,
  k: number,
  n: number,
  out: FloatArray,
): void {
  gemmABt(tA ? transpose(a, k, m) : a, tB ? b : transpose(b, k, n), m, n, k, out);
}

function floatPair(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'float64')) {
    throw new RuntimeError(`${op}: expected two float32 or two float64 tensors, got ${a.dtype} and ${b.dtype}`);
  }
}

function cannotMultiply(m: number, k: number, k2: number, n: number): RuntimeError {
  return new RuntimeError(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`);
}

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

export function gemm(a: Tensor, b: Tensor, c: Tensor | null = null, opts: GemmOptions = {}): Tensor {
  const { alpha = 1, beta = 1, transA = false, transB = false } = opts;
  floatPair('gemm', a, b);
  if (a.dim() !== 2 || b.dim() !== 2) {
    throw new RuntimeError(`gemm: expected 2-D A and B, got sizes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [K2, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (K !== K2) throw cannotMultiply(M, K, K2, N);
  if (c) {
    if (c.dtype !== a.dtype) throw new RuntimeError(`gemm: C has dtype ${c.dtype}, A and B ${a.dtype}`);
    // Unidirectional: C must broadcast to [M, N] without growing Y.
    const r = c.dim();
    if (r > 2 || c.shape.some((d, i) => d !== 1 && d !== [M, N][2 - r + i])) {
      throw new RuntimeError(`gemm: C of size [${c.shape.join(', ')}] does not broadcast to [${M}, ${N}]`);
    }
  }
  const ad = a.floatData();
  const bd = b.floatData();
  const out = new Tensor(allocateUninit(a.dtype, M * N), [M, N], a.dtype);
  const y = out.data as FloatArray;
  mm(ad, transA, bd, transB, M, K, N, y);
  if (alpha !== 1) for (let i = 0; i < y.length; i++) y[i] = y[i]! * alpha;
  if (c && beta !== 0) {
    const ce = expandTo(c, [M, N]).data as FloatArray;
    for (let i = 0; i < y.length; i++) y[i] = y[i]! + beta * ce[i]!;
  }
  return attachGrad(out, {
    name: 'AddmmBackward0',
    inputs: [a, b, c],
    backward: (g) => {
      const gd = g.floatData();
      let da: Tensor | null = null;
      if (a.requiresGrad) {
        // d op(A) = alpha·G·op(B)ᵀ (M×K); A's own layout is its transpose when transA.
        const t = new Float64Array(M * K);
        mm(gd, false, bd, !transB, M, N, K, t);
        da = scaled(a, transA ? transpose(t, M, K) : t, alpha);
      }
      let db: Tensor | null = null;
      if (b.requiresGrad) {
        // d op(B) = alpha·op(A)ᵀ·G (K×N)
        const t = new Float64Array(K * N);
        mm(ad, !transA, gd, false, K, M, N, t);
        db = scaled(b, transB ? transpose(t, K, N) : t, alpha);
      }
      let dc: Tensor | null = null;
      if (c && c.requiresGrad) {
        const s = sumToShape(g, c.shape);
        dc = scaled(c, s.floatData(), beta);
      }
      return [da, db, dc];
    },
  });
}

/** A tensor like `like` holding s·values. */
function scaled(like: Tensor, values: FloatArray, s: number): Tensor {
  const t = new Tensor(allocateUninit(like.dtype, like.numel()), like.shape, like.dtype);
  const d = t.data as FloatArray;
  for (let i = 0; i < d.length; i++) d[i] = values[i]! * s;
  return t;
}

/** Offsets (in matrices) into an operand of batch shape `inB` for each index of the broadcast batch `outB`. */
function batchOffsets(outB: readonly number[], inB: readonly number[]): Int32Array {
  let n = 1;
  for (const d of outB) n *= d;
  const idx = new Int32Array(n);
  const src = new Float64Array(inB.reduce((p, d) => p * d, 1)).map((_, i) => i);
  const e = expandTo(new Tensor(src, inB, 'float64'), outB).data as Float64Array;
  for (let i = 0; i < n; i++) idx[i] = e[i]!;
  return idx;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  floatPair('matmul', a, b);
  if (a.dim() === 0 || b.dim() === 0) {
    throw new RuntimeError(
      'both arguments to matmul need to be at least 1D, but they are ' + `${a.dim()}D and ${b.dim()}D`,
    );
  }
  // 1-D operands: [K] is [1, K] on the left and [K, 1] on the right; the unit dimension is dropped after.
  const as = a.dim() === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.dim() === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const M = as[as.length - 2]!;
  const K = as[as.length - 1]!;
  const K2 = bs[bs.length - 2]!;
  const N = bs[bs.length - 1]!;
  if (K !== K2) throw cannotMultiply(M, K, K2, N);
  const aB = as.slice(0, -2);
  const bB = bs.slice(0, -2);
  const outB = broadcastShapes(aB, bB);
  const batches = outB.reduce((p, d) => p * d, 1);
  const offA = batchOffsets(outB, aB);
  const offB = batchOffsets(outB, bB);
  const ad = a.floatData();
  const bd = b.floatData();
  const full = [...outB, M, N];
  const y = allocateUninit(a.dtype, batches * M * N) as FloatArray;
  const bT = new Map<number, FloatArray>(); // Bᵀ per distinct B matrix
  const bTof = (o: number): FloatArray => {
    let t = bT.get(o);
    if (!t) bT.set(o, (t = transpose(bd.subarray(o * K * N, (o + 1) * K * N), K, N)));
    return t;
  };
  for (let i = 0; i < batches; i++) {
    gemmABt(
      ad.subarray(offA[i]! * M * K, (offA[i]! + 1) * M * K),
      bTof(offB[i]!),
      M,
      N,
      K,
      y.subarray(i * M * N, (i + 1) * M * N),
    );
  }
  let shape = full;
  if (a.dim() === 1) shape = [...outB, N];
  if (b.dim() === 1) shape = a.dim() === 1 ? [...outB] : [...outB, M];
  const out = new Tensor(y, shape, a.dtype);
  return attachGrad(out, {
    name: 'MmBackward0',
    inputs: [a, b],
    backward: (g) => {
      const gd = g.floatData();
      let da: Tensor | null = null;
      if (a.requiresGrad) {
        // dA_i = G_i·B_iᵀ (M×K), summed over the batch dimensions A was broadcast along.
        const t = allocateUninit(a.dtype, batches * M * K) as FloatArray;
        for (let i = 0; i < batches; i++) {
          const o = offB[i]! * K * N;
          gemmABt(
            gd.subarray(i * M * N, (i + 1) * M * N),
            bd.subarray(o, o + K * N),
            M,
            K,
            N,
            t.subarray(i * M * K, (i + 1) * M * K),
          );
        }
        da = sumToShape(new Tensor(t, [...outB, M, K], a.dtype), as).reshape(a.shape);
      }
      let db: Tensor | null = null;
      if (b.requiresGrad) {
        // dB_i = A_iᵀ·G_i (K×N)
        const t = allocateUninit(b.dtype, batches * K * N) as FloatArray;
        for (let i = 0; i < batches; i++) {
          const o = offA[i]! * M * K;
          const aT = transpose(ad.subarray(o, o + M * K), M, K);
          const gT = transpose(gd.subarray(i * M * N, (i + 1) * M * N), M, N);
          gemmABt(aT, gT, K, N, M, t.subarray(i * K * N, (i + 1) * K * N));
        }
        db = sumToShape(new Tensor(t, [...outB, K, N], b.dtype), bs).reshape(b.shape);
      }
      return [da, db];
    },
  });
}
