/**
 * The Backend interface: the BatchNorm kernels every compute backend provides.
 *
 * Layout: every kernel sees an NC* contiguous tensor as (N, C, S), S = product of the spatial dims
 * (1 for 2-D input). Element (n, c, s) sits at ((n·C + c)·S + s). Per-channel statistics are
 * Float64Array of length C whatever the input dtype: statistics accumulate in double, like PyTorch's
 * CPU path. x, y, dy, dx are Float32Array or Float64Array, all of the same kind within one call.
 *
 * Implementations: `ts` (backend/tsKernels.ts, the reference), `cpu` and `cuda` (native addon), `wasm`
 * (the CPU kernels compiled to WebAssembly, backend/wasmLoader.ts).
 *
 * Ops do not call a Backend directly: they call a Device (engine/tensor/device.ts). The registry gives
 * each backend one — its own (CUDA) or a host device over these kernels (hostDevice.ts).
 */
import type { FloatArray } from '../tensor/dtype.js';
import type { Device } from '../tensor/device.js';

export type BackendName = 'ts' | 'wasm' | 'cpu' | 'cuda';

/** (N, C, S) view of an NC* contiguous tensor. */
export interface NCS {
  n: number;
  c: number;
  s: number;
}

/** Per-channel batch statistics. */
export interface BatchStats {
  mean: Float64Array;
  /** Biased variance Σ(x−mean)²/count. */
  varBiased: Float64Array;
  /** Elements per channel, N·S. */
  count: number;
}

export interface ForwardTrainArgs {
  x: FloatArray;
  y: FloatArray;
  dims: NCS;
  weight: FloatArray | null;
  bias: FloatArray | null;
  /** Updated in place when non-null: (1−f)·r + f·mean and (1−f)·r + f·unbiasedVar. */
  runningMean: FloatArray | null;
  runningVar: FloatArray | null;
  momentum: number;
  eps: number;
}

export interface ForwardTrainResult {
  /** Saved for backward, length C. */
  mean: Float64Array;
  invstd: Float64Array;
}

export interface ForwardEvalArgs {
  x: FloatArray;
  y: FloatArray;
  dims: NCS;
  weight: FloatArray | null;
  bias: FloatArray | null;
  /** The statistics to normalize with (running stats in eval). */
  mean: FloatArray | Float64Array;
  invstd: FloatArray | Float64Array;
}

export interface BackwardReduceArgs {
  dy: FloatArray;
  x: FloatArray;
  dims: NCS;
  mean: Float64Array | FloatArray;
}

export interface BackwardReduceResult {
  /** Σdy per channel. */
  sumDy: Float64Array;
  /** Σ(x−mean)·dy per channel. */
  sumDyXmu: Float64Array;
}

export interface BackwardElemtArgs {
  dy: FloatArray;
  x: FloatArray;
  dx: FloatArray;
  dims: NCS;
  mean: Float64Array | FloatArray;
  invstd: Float64Array | FloatArray;
  weight: FloatArray | null;
  sumDy: Float64Array;
  sumDyXmu: Float64Array;
  /** Elements per channel over which the statistics were taken (the global count for SyncBatchNorm). */
  count: number;
}

export interface EvalBackwardArgs {
  dy: FloatArray;
  dx: FloatArray;
  dims: NCS;
  invstd: Float64Array | FloatArray;
  weight: FloatArray | null;
}

export interface GatheredStats {
  mean: Float64Array;
  invstd: Float64Array;
  /** Combined biased variance M2/n per channel (the running variance uses M2/(n−1)). */
  varBiased: Float64Array;
  /** Total element count per channel across ranks that contributed (count ≥ 1). */
  count: number;
}

/**
 * Dense product C = op(A)·op(B), row-major, op = identity or transpose: op(A) is m×k (A stored k×m
 * when transA), op(B) is k×n (B stored n×k when transB), C is m×n and overwritten. a, b and c are the
 * same array type and at least m·k, k·n and m·n long.
 */
export type GemmFn = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
) => void;

/**
 * The host device's elementwise ops and losses over flat arrays of n elements (engine/tensor/device.ts's
 * relu … mseBackward), with hostKernels.ts's semantics, which is the reference and the fallback: results
 * are bit-identical to it. Scalars (sum, mseForward's out, mseBackward's g) are element 0.
 */
export interface ElementwiseKernels {
  relu(x: FloatArray, y: FloatArray, n: number): void;
  reluBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, n: number): void;
  add(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void;
  sub(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void;
  mul(a: FloatArray, b: FloatArray, out: FloatArray, n: number): void;
  scale(a: FloatArray, s: number, out: FloatArray, n: number): void;
  sum(a: FloatArray, out: FloatArray, n: number): void;
  mseForward(x: FloatArray, t: FloatArray, out: FloatArray, n: number): void;
  mseBackward(
    x: FloatArray,
    t: FloatArray,
    g: FloatArray,
    gx: FloatArray | null,
    gt: FloatArray | null,
    n: number,
  ): void;
}

export interface Backend {
  readonly name: BackendName;
  /**
   * Compiled elementwise ops and losses for the host device (native cpu, wasm). Absent where the backend has
   * none; the host device then runs hostKernels.ts's loops.
   */
  readonly elementwise?: ElementwiseKernels;
  /**
   * The matrix products of linear, conv and the model runner's matmul (native cpu: OpenBLAS). Absent
   * where the backend has none; hostGemm.ts then multiplies in TypeScript.
   */
  readonly gemm?: GemmFn;
  /**
   * The backend's own device, keeping tensors in its memory between steps (CUDA); absent on backends
   * that compute on host arrays, which the registry gives a host device (hostDevice.ts) over these
   * kernels.
   */
  readonly device?: Device | null;
  /** Per-channel mean and biased variance, one-pass Welford with Chan's merge, double accumulation. */
  batchStats(x: FloatArray, dims: NCS): BatchStats;
  /** Statistics + normalize + running-stat update (unbiased variance) in one call. */
  forwardTrain(args: ForwardTrainArgs): ForwardTrainResult;
  /** y = x·α + β with α = invstd·w, β = b − mean·α folded once per channel. */
  forwardEval(args: ForwardEvalArgs): void;
  /** Σdy and Σ(x−mean)·dy per channel. */
  backwardReduce(args: BackwardReduceArgs): BackwardReduceResult;
  /** dx = (dy − sumDy/n − (x−mean)·sumDyXmu·invstd²/n)·invstd·w. */
  backwardElemt(args: BackwardElemtArgs): void;
  /** Eval-mode (running-stat) backward: dx = dy·invstd·w. */
  backwardEvalElemt(args: EvalBackwardArgs): void;
  /**
   * SyncBatchNorm's combine: `gathered` is W rows of [mean(C), invstd(C), count] (2C+1 values each).
   * Rows with count < 1 are masked out. Chan's parallel formula over the integer total.
   */
  gatherStatsWithCounts(gathered: Float64Array, worldSize: number, c: number, eps: number): GatheredStats;
}
