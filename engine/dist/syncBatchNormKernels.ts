/**
 * The local halves of one SyncBatchNorm call — statistics, normalisation, gradient sums, dx and the
 * parameter grads — on the tensors' Device (engine/tensor/device.ts; the host device computes on the
 * tensors' own arrays). Only the per-channel values cross between the device and the host (the 2C+1
 * statistics row, the combined mean/invstd, the 2C gradient sums), which is what the collectives send
 * anyway; x, y, dy and dx stay on the device.
 */
import { Tensor } from '../tensor/tensor.js';
import { buf, channelBuf, floatDType, optBuf, type Device } from '../tensor/device.js';
import type { DeviceBuffer } from '../tensor/storage.js';
import type { GatheredStats, NCS } from '../backend/backend.js';
import { paramGrads } from '../nn/functional/batchNorm.js';

export interface GradSums {
  sumDy: Float64Array;
  sumDyXmu: Float64Array;
}

export interface SyncLocalKernels {
  /** Per-channel mean and biased variance of this rank's batch (count ≥ 1). */
  stats(): { mean: Float64Array; varBiased: Float64Array };
  /** y = (x − mean)·invstd·w + b with the combined statistics. */
  normalize(st: GatheredStats): Tensor;
  /** This rank's Σdy and Σ(x−mean)·dy. */
  reduce(g: Tensor, st: GatheredStats): GradSums;
  /** dx with the all-reduced sums and the global count. */
  gradInput(g: Tensor, st: GatheredStats, reduced: GradSums): Tensor;
  /** dw, db from this rank's own sums (the last `reduce`). */
  paramGrads(st: GatheredStats, local: GradSums): [Tensor | null, Tensor | null];
}

export function localKernels(
  dev: Device,
  input: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  { n, c, s }: NCS,
): SyncLocalKernels {
  const dt = floatDType(input);
  const x = buf(dev, input);
  const up = (values: Float64Array): DeviceBuffer => {
    const b = channelBuf(dev, c);
    if (c > 0) dev.upload(b, values);
    return b;
  };
  const down = (b: DeviceBuffer): Float64Array => {
    const h = new Float64Array(c);
    if (c > 0) dev.download(b, h);
    return h;
  };
  // The combined statistics go up once per call; the local sums' buffers are kept for the param grads.
  let saved: { st: GatheredStats; mean: DeviceBuffer; invstd: DeviceBuffer } | null = null;
  const stats = (st: GatheredStats) => {
    if (saved?.st !== st) saved = { st, mean: up(st.mean), invstd: up(st.invstd) };
    return saved;
  };
  let localSums: { host: GradSums; sumDy: DeviceBuffer; sumDyXmu: DeviceBuffer } | null = null;
  return {
    stats: () => {
      const mean = channelBuf(dev, c);
      const varBiased = channelBuf(dev, c);
      dev.bnStats(dt, x, n, c, s, mean, varBiased);
      return { mean: down(mean), varBiased: down(varBiased) };
    },
    normalize: (st) => {
      const { mean, invstd } = stats(st);
      const out = Tensor.onDevice(dev, input.shape, dt);
      dev.bnEval(dt, x, buf(dev, out), n, c, s, optBuf(dev, weight), optBuf(dev, bias), mean, invstd);
      return out;
    },
    reduce: (g, st) => {
      const sumDy = channelBuf(dev, c);
      const sumDyXmu = channelBuf(dev, c);
      dev.bnBackwardReduce(dt, buf(dev, g), x, n, c, s, stats(st).mean, sumDy, sumDyXmu);
      const host = { sumDy: down(sumDy), sumDyXmu: down(sumDyXmu) };
      localSums = { host, sumDy, sumDyXmu };
      return host;
    },
    gradInput: (g, st, reduced) => {
      const { mean, invstd } = stats(st);
      const dx = Tensor.onDevice(dev, input.shape, dt);
      const w = optBuf(dev, weight);
      dev.bnBackwardElemt(dt, buf(dev, g), x, buf(dev, dx), n, c, s, mean, invstd, w, up(reduced.sumDy), up(reduced.sumDyXmu), st.count);
      return dx;
    },
    paramGrads: (st, local) => {
      if (!weight && !bias) return [null, null];
      const sums = localSums?.host === local ? localSums : { sumDy: up(local.sumDy), sumDyXmu: up(local.sumDyXmu) };
      return paramGrads(dev, weight, bias, sums.sumDy, sums.sumDyXmu, stats(st).invstd, c);
    },
  };
}
