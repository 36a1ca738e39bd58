/**
 * SyncBatchNorm: BatchNorm whose batch statistics are taken over every rank of a process group.
 *
 * Sync happens only when training, bn_training, a process group is initialized and its size is
 * > 1; otherwise it is plain batch norm (the local fallback). The seed refuses to sync non-GPU
 * tensors; the engine syncs CPU tensors by design (ranks are simulated as processes), and
 * `SyncBatchNorm.strictDeviceParity = true` restores the seed's error.
 */
import { BatchNorm, NormBase, type NormOptions } from './batchnorm.js';
import { Module } from './module.js';
import type { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../errors.js';
import { batchNorm } from './functional/batchNorm.js';
import { getWorldGroup, isInitialized, type ProcessGroup } from '../dist/processGroup.js';
import { syncBatchNorm } from '../dist/syncBatchNormFunction.js';
import { checkSyncInput } from './shapeRules.js';

export interface SyncBatchNormOptions extends NormOptions {
  processGroup?: ProcessGroup | null;
}

export class SyncBatchNorm extends BatchNorm {
  /** When true, syncing a (CPU) engine tensor raises the seed's device error. */
  static strictDeviceParity = false;

  processGroup: ProcessGroup | null;
  /** Names this layer in collective tags and telemetry (set to the module path by the rank runner). */
  syncTag: string | null = null;

  constructor(numFeatures: number, opts: SyncBatchNormOptions = {}) {
    super(numFeatures, opts);
    this.processGroup = opts.processGroup ?? null;
  }

  protected checkInputDim(input: Tensor): void {
    checkSyncInput(input.shape);
  }

  override forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const { d, factor, rm, rv } = this.takeDecision();
    let group: ProcessGroup | null = null;
    if (d.bnTraining && this.training && isInitialized()) {
      if (SyncBatchNorm.strictDeviceParity) {
        throw new ValueError('SyncBatchNorm expected input tensor to be on GPU or privateuseone');
      }
      group = this.processGroup ?? getWorldGroup();
      if (group.size <= 1) group = null;
    }
    const out = group
      ? syncBatchNorm(input, this.weight, this.bias, rm, rv, this.eps, factor, group, this.syncTag ?? 'SyncBatchNorm')
      : batchNorm(input, rm, rv, { weight: this.weight, bias: this.bias, training: d.bnTraining, momentum: factor, eps: this.eps });
    this.recordForward(d, factor);
    return out;
  }
}

/**
 * Replaces every BatchNorm in `module` (recursively) by a SyncBatchNorm that shares — not copies —
 * its weight, bias, running stats and counter, keeping `training` and `qconfig`. A BatchNorm root
 * returns a new object; any other root is converted in place and returned.
 */
export function convertSyncBatchnorm(module: Module, processGroup: ProcessGroup | null = null): Module {
  let out: Module = module;
  if (module instanceof BatchNorm) {
    const sync = new SyncBatchNorm(module.numFeatures, {
      eps: module.eps,
      momentum: module.momentum,
      affine: module.affine,
      trackRunningStats: module.trackRunningStats,
      dtype: module.dtype,
      processGroup,
    });
    if (module.affine) {
      sync.weight = module.weight;
      sync.bias = module.bias;
    }
    sync.runningMean = module.runningMean;
    sync.runningVar = module.runningVar;
    sync.numBatchesTracked = module.numBatchesTracked;
    sync.training = module.training;
    if (module.qconfig !== undefined) sync.qconfig = module.qconfig;
    out = sync;
  }
  for (const [name, child] of module.namedChildren()) out.addModule(name, convertSyncBatchnorm(child, processGroup));
  return out;
}

/** True for any module of the BatchNorm family (what convertSyncBatchnorm converts). */
export function isBatchNorm(m: Module): m is NormBase {
  return m instanceof BatchNorm;
}

