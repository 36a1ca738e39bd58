/**
 * Precise BatchNorm (recalibration), as fvcore's update_bn_stats and torch.optim.swa_utils.update_bn do
 * it: every BatchNorm's running statistics are reset, momentum is set to None (PyTorch's cumulative
 * average: factor 1/num_batches_tracked) and the model runs over the batches of X in train mode with
 * dropout off, without gradients. The running statistics are then the average of the batch statistics
 * (each batch weighted equally, as PyTorch does). Momentum is restored and the model left in eval mode.
 *
 * Cancelled (the signal raised between batches) or failed (a batch of one sample in train mode, a wrong
 * input shape), the BatchNorm layers are put back as they were: running statistics, counters, momentum
 * and train/eval mode.
 */
import { noGrad } from '../tensor/tensor.js';
import { ValueError } from '../errors.js';
import type { BatchNorm } from '../nn/batchnorm.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  batchOf,
  batchRanges,
  checkBatchSize,
  sampleCount,
  throwIfCancelled,
  type CancelSignal,
  type ModelInputs,
} from './batches.js';
import type { GraphModule } from './graphModule.js';
import { StateCopy } from '../nn/stateCopy.js';

export interface RecalibrateOptions {
  batchSize: number;
  /** After each batch: batches done, batches in all. */
  onProgress?: (done: number, total: number) => void;
  signal?: CancelSignal;
}

export interface RecalibrateResult {
  samples: number;
  batches: number;
  /** The BatchNorm layers whose statistics were recomputed (those that track running statistics). */
  layers: string[];
}

/** The BatchNorm layers of a model that keep running statistics (the ones recalibration recomputes). */
export function trackedBatchNorms(model: GraphModule): Array<{ name: string; module: BatchNorm }> {
  return model.batchNormLayers().filter((l) => l.module.trackRunningStats && l.module.runningMean !== null);
}

export function recalibrate(model: GraphModule, x: ModelInputs, opts: RecalibrateOptions): RecalibrateResult {
  checkBatchSize(opts.batchSize);
  const n = sampleCount(x);
  if (n === 0) throw new ValueError('recalibration needs at least one sample (X has 0 along dimension 0)');
  const layers = trackedBatchNorms(model);
  if (layers.length === 0) throw new ValueError('the model has no BatchNorm layer that tracks running statistics');
  const ranges = batchRanges(n, opts.batchSize);
  const buffers: Tensor[] = [];
  for (const { module: m } of layers)
    buffers.push(m.runningMean!, m.runningVar!, ...(m.numBatchesTracked ? [m.numBatchesTracked] : []));
  const before = StateCopy.ofTensors(buffers);
  const momenta = layers.map(({ module: m }) => m.momentum);
  const modes = layers.map(({ module: m }) => m.training);
  let ok = false;
  try {
    for (const { module: m } of layers) {
      m.resetRunningStats();
      m.momentum = null;
    }
    model.setBatchNormMode('train');
    model.setDropout(false);
    noGrad(() => {
      ranges.forEach(([s, e], i) => {
        throwIfCancelled(opts.signal, 'recalibration');
        model.forwardGraph(batchOf(x, s, e));
        opts.onProgress?.(i + 1, ranges.length);
      });
    });
    ok = true;
  } finally {
    layers.forEach(({ module: m }, i) => (m.momentum = momenta[i]!));
    if (ok) model.setBatchNormMode('eval');
    else {
      before.restore();
      layers.forEach(({ module: m }, i) => (m.training = modes[i]!));
    }
  }
  return { samples: n, batches: ranges.length, layers: layers.map((l) => l.name) };
}
