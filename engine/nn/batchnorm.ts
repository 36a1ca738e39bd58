/**
 * The BatchNorm family, shaped like torch.nn.modules.batchnorm:
 *
 *   NormBase    parameters, buffers, reset, extraRepr, version-2 state migration
 *   BatchNorm   forward in the seed's order (counter, factor, bn_training, which buffers are passed)
 *   BatchNorm1d/2d/3d   only the input-dimension check differs
 *
 * y = (x − E[x]) / √(Var[x] + eps) · γ + β, with E and the biased Var over N and the spatial dims in
 * training (running estimates ← (1−momentum)·r + momentum·batch, unbiased variance) and the running
 * estimates in eval. momentum = null gives the cumulative average: factor = 1 / num_batches_tracked.
 */
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Tensor } from '../tensor/tensor.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { scalar } from '../tensor/creation.js';
import { batchNorm } from './functional/batchNorm.js';
import type { LocalMetadata } from './stateDict.js';
import { normRepr } from './layerRepr.js';
import { NORM_DEFAULTS } from './layerSpec.js';
import { decide, updateFactor, type BatchNormDecision, type ForwardRecord } from './bnDecision.js';
import { check1dRank, checkNdRank } from './shapeRules.js';

export interface NormOptions {
  eps?: number;
  /** null: cumulative moving average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/** Common base of the BatchNorm modules (PyTorch's `_NormBase`). */
export abstract class NormBase extends Module {
  static override version = 2;

  numFeatures: number;
  eps: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
  readonly dtype: DType;

  constructor(numFeatures: number, opts: NormOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? NORM_DEFAULTS.eps;
    this.momentum = opts.momentum === undefined ? NORM_DEFAULTS.momentum : opts.momentum;
    this.affine = opts.affine ?? NORM_DEFAULTS.affine;
    this.trackRunningStats = opts.trackRunningStats ?? NORM_DEFAULTS.trackRunningStats;
    this.dtype = opts.dtype ?? 'float32';
    const vec = () => new Tensor(allocate(this.dtype, numFeatures), [numFeatures], this.dtype);
    if (this.affine) {
      this.registerParameter('weight', new Parameter(vec()));
      this.registerParameter('bias', new Parameter(vec()));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', vec());
      this.registerBuffer('running_var', vec());
      this.registerBuffer('num_batches_tracked', scalar(0, 'int64'));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  get weight(): Parameter | null {
    return this.getParameter('weight');
  }
  set weight(p: Parameter | null) {
    this.setParameter('weight', p);
  }
  get bias(): Parameter | null {
    return this.getParameter('bias');
  }
  set bias(p: Parameter | null) {
    this.setParameter('bias', p);
  }
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  set runningMean(t: Tensor | null) {
    this.setBuffer('running_mean', t);
  }
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  set runningVar(t: Tensor | null) {
    this.setBuffer('running_var', t);
  }
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }
  set numBatchesTracked(t: Tensor | null) {
    this.setBuffer('num_batches_tracked', t);
  }

  /** running_mean ← 0, running_var ← 1, counter ← 0 (when tracking). */
  resetRunningStats(): void {
    if (this.trackRunningStats) {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    }
  }

  /** Also weight ← 1, bias ← 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) {
      this.weight?.fill_(1);
      this.bias?.zero_();
    }
  }

  protected abstract checkInputDim(input: Tensor): void;

  /** What the last forward that returned did (its decision and factor); null before the first. */
  lastForward: ForwardRecord | null = null;

  /** The decision this module's next forward takes: the one function forward and the "why" panel share. */
  decision(): BatchNormDecision {
    const buffersPresent = this.runningMean !== null || this.runningVar !== null;
    return decide(this.training, this.trackRunningStats, buffersPresent, this.numBatchesTracked !== null);
  }

  override extraRepr(): string {
    return normRepr(this.numFeatures, this.eps, this.momentum, this.affine, this.trackRunningStats);
  }

  /**
   * Version-2 migration: a state without version (or < 2) that lacks the counter gets one. The seed
   * (PyTorch ≥ 2.2) keeps this module's own counter; PyTorch ≤ 2.1 (and the 1.13 oracle) injects a
   * fresh 0. The engine follows the seed.
   */
  protected override _loadFromStateDict(
    stateDict: Map<string, Tensor>,
    prefix: string,
    localMetadata: LocalMetadata,
    strict: boolean,
    missingKeys: string[],
    unexpectedKeys: string[],
    errorMsgs: string[],
  ): void {
    const version = localMetadata.version;
    if ((version === undefined || version === null || version < 2) && this.trackRunningStats) {
      const key = `${prefix}num_batches_tracked`;
      if (!stateDict.has(key)) {
        stateDict.set(key, this.numBatchesTracked ?? scalar(0, 'int64'));
      }
    }
    super._loadFromStateDict(stateDict, prefix, localMetadata, strict, missingKeys, unexpectedKeys, errorMsgs);
  }
}

/** `_BatchNorm`: the forward pass shared by 1d/2d/3d (and the local fallback of SyncBatchNorm). */
export abstract class BatchNorm extends NormBase {
  /**
   * This forward's decision (bnDecision.ts, what the "why" panel reports) and its update factor;
   * increments the counter first when the decision counts, as PyTorch does before anything can fail.
   */
  protected takeDecision(): { d: BatchNormDecision; factor: number; rm: Tensor | null; rv: Tensor | null } {
    const d = this.decision();
    const counter = this.numBatchesTracked;
    if (d.counterIncrements) counter!.addScalar_(1);
    const factor = updateFactor(d, this.momentum, d.counterIncrements ? counter!.item() : 0);
    return { d, factor, rm: d.buffersPassed ? this.runningMean : null, rv: d.buffersPassed ? this.runningVar : null };
  }

  /** Keeps what a forward that returned did, for the "why" panel. */
  protected recordForward(d: BatchNormDecision, factor: number): void {
    this.lastForward = { decision: d, factorUsed: d.updatesRunningStats ? factor : null };
  }

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const { d, factor, rm, rv } = this.takeDecision();
    const out = batchNorm(input, rm, rv, {
      weight: this.weight,
      bias: this.bias,
      training: d.bnTraining,
      momentum: factor,
      eps: this.eps,
    });
    this.recordForward(d, factor);
    return out;
  }
}

export function check1d(input: Tensor): void {
  check1dRank(input.dim());
}

export function checkNd(input: Tensor, want: number): void {
  checkNdRank(input.dim(), want);
}

/** Batch normalization over (N, C) or (N, C, L) input ("temporal" BatchNorm). */
export class BatchNorm1d extends BatchNorm {
  protected checkInputDim(input: Tensor): void {
    check1d(input);
  }
}

/** Batch normalization over (N, C, H, W) input ("spatial" BatchNorm). */
export class BatchNorm2d extends BatchNorm {
  protected checkInputDim(input: Tensor): void {
    checkNd(input, 4);
  }
}

/** Batch normalization over (N, C, D, H, W) input ("volumetric" BatchNorm). */
export class BatchNorm3d extends BatchNorm {
  protected checkInputDim(input: Tensor): void {
    checkNd(input, 5);
  }
}
