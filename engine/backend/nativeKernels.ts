/**
 * The addon's BatchNorm kernels (one device's: `addon.cpu` or `addon.cuda`) as a Backend. Outputs the
 * Backend returns (statistics, sums) are allocated here; the addon writes into the arrays it is given
 * and throws TypeError/RangeError/Error, which come out as the engine's RuntimeError.
 */
import type {
  Backend,
  BackendName,
  BackwardElemtArgs,
  BackwardReduceArgs,
  BatchStats,
  EvalBackwardArgs,
  ForwardEvalArgs,
  ForwardTrainArgs,
  GatheredStats,
  NCS,
} from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import { guard, type Addon, type AddonKernels } from './nativeAddonApi.js';
import { checkLength } from './kernelArgs.js';
import { wrapGemm } from './nativeGemm.js';
import { wrapElementwise } from './nativeElementwise.js';

/** Wraps one device's addon kernels as a Backend. */
export function wrapKernels(name: BackendName, k: AddonKernels, addon: Addon): Backend {
  const gemm = wrapGemm(k.gemm);
  const elementwise = wrapElementwise(k);
  return {
    name,
    ...(gemm ? { gemm } : {}),
    ...(elementwise ? { elementwise } : {}),
    batchStats(x: FloatArray, dims: NCS): BatchStats {
      checkLength('batchStats', x, dims);
      const mean = new Float64Array(dims.c);
      const varBiased = new Float64Array(dims.c);
      guard('batchStats', () => k.batchStats(x, dims.n, dims.c, dims.s, mean, varBiased));
      return { mean, varBiased, count: dims.n * dims.s };
    },
    forwardTrain(a: ForwardTrainArgs) {
      const { n, c, s } = a.dims;
      checkLength('forwardTrain', a.x, a.dims);
      const mean = new Float64Array(c);
      const invstd = new Float64Array(c);
      guard('forwardTrain', () =>
        k.forwardTrain(
          a.x,
          a.y,
          n,
          c,
          s,
          a.weight,
          a.bias,
          a.runningMean,
          a.runningVar,
          a.momentum,
          a.eps,
          mean,
          invstd,
        ),
      );
      return { mean, invstd };
    },
    forwardEval(a: ForwardEvalArgs): void {
      checkLength('forwardEval', a.x, a.dims);
      guard('forwardEval', () =>
        k.forwardEval(a.x, a.y, a.dims.n, a.dims.c, a.dims.s, a.weight, a.bias, a.mean, a.invstd),
      );
    },
    backwardReduce(a: BackwardReduceArgs) {
      checkLength('backwardReduce', a.x, a.dims);
      const sumDy = new Float64Array(a.dims.c);
      const sumDyXmu = new Float64Array(a.dims.c);
      guard('backwardReduce', () => k.backwardReduce(a.dy, a.x, a.dims.n, a.dims.c, a.dims.s, a.mean, sumDy, sumDyXmu));
      return { sumDy, sumDyXmu };
    },
    backwardElemt(a: BackwardElemtArgs): void {
      checkLength('backwardElemt', a.x, a.dims);
      guard('backwardElemt', () =>
        k.backwardElemt(
          a.dy,
          a.x,
          a.dx,
          a.dims.n,
          a.dims.c,
          a.dims.s,
          a.mean,
          a.invstd,
          a.weight,
          a.sumDy,
          a.sumDyXmu,
          a.count,
        ),
      );
    },
    backwardEvalElemt(a: EvalBackwardArgs): void {
      checkLength('backwardEvalElemt', a.dy, a.dims);
      guard('backwardEvalElemt', () =>
        k.backwardEvalElemt(a.dy, a.dx, a.dims.n, a.dims.c, a.dims.s, a.invstd, a.weight),
      );
    },
    gatherStatsWithCounts(gathered: Float64Array, worldSize: number, c: number, eps: number): GatheredStats {
      const mean = new Float64Array(c);
      const invstd = new Float64Array(c);
      const varBiased = new Float64Array(c);
      const count = guard('gatherStatsWithCounts', () =>
        addon.gatherStatsWithCounts(gathered, worldSize, c, eps, mean, invstd, varBiased),
      );
      return { mean, invstd, varBiased, count };
    },
  };
}
