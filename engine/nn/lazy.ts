/**
 * LazyBatchNorm1d/2d/3d: BatchNorm whose num_features is inferred from the first input.
 *
 * Built with num_features 0 and uninitialized weight/bias/running_mean/running_var (the counter
 * exists at 0 from the start). The first forward materializes them with C = input.shape[1], resets
 * them, and the module becomes the concrete class (`cls_to_become`), as PyTorch swaps `__class__`.
 * Loading an eager state dict materializes the shapes from the file.
 */
import { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, check1d, checkNd, type NormOptions } from './batchnorm.js';
import { UninitializedBuffer, UninitializedParameter } from './parameter.js';
import { scalar } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { RuntimeError } from '../errors.js';
import { lazyChannels } from './shapeRules.js';
import type { LocalMetadata } from './stateDict.js';

export type LazyOptions = Omit<NormOptions, never>;

export abstract class LazyBatchNorm extends BatchNorm {
  /** The eager class this module turns into after its first forward. */
  protected abstract clsToBecome(): { prototype: object };

  constructor(opts: LazyOptions = {}) {
    // affine and tracking are off for the base so no tensors are built only to be replaced.
    super(0, { ...opts, affine: false, trackRunningStats: false });
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    if (this.affine) {
      this.setParameter('weight', new UninitializedParameter(this.dtype));
      this.setParameter('bias', new UninitializedParameter(this.dtype));
    }
    if (this.trackRunningStats) {
      this.setBuffer('running_mean', new UninitializedBuffer(this.dtype));
      this.setBuffer('running_var', new UninitializedBuffer(this.dtype));
      this.setBuffer('num_batches_tracked', scalar(0, 'int64'));
    }
  }

  hasUninitializedParams(): boolean {
    for (const t of [...this._parameters.values(), ...this._buffers.values()]) {
      if (t && t.isUninitialized()) return true;
    }
    return false;
  }

  override resetParameters(): void {
    if (!this.hasUninitializedParams() && this.numFeatures !== 0) super.resetParameters();
  }

  /** Materializes the placeholders for C = input.shape[1] and resets them. */
  initializeParameters(input: Tensor): void {
    if (!this.hasUninitializedParams()) return;
    this.numFeatures = lazyChannels(input.shape);
    const shape = [this.numFeatures];
    if (this.affine) {
      this.setParameter('weight', (this.weight as UninitializedParameter).materialize(shape));
      this.setParameter('bias', (this.bias as UninitializedParameter).materialize(shape));
    }
    if (this.trackRunningStats) {
      this.setBuffer('running_mean', (this.runningMean as UninitializedBuffer).materialize(shape));
      this.setBuffer('running_var', (this.runningVar as UninitializedBuffer).materialize(shape));
    }
    this.resetParameters();
  }

  /** PyTorch's `_infer_parameters` pre-hook, then the concrete class's forward. */
  override forward(input: Tensor): Tensor {
    this.initializeParameters(input);
    if (this.hasUninitializedParams()) {
      throw new RuntimeError(`module ${this.getName()} has not been fully initialized`);
    }
    Object.setPrototypeOf(this, this.clsToBecome().prototype);
    return (this as BatchNorm).forward(input);
  }

  /** The lazy load hook: placeholders take the shapes of initialized tensors in the file. */
  protected override _loadFromStateDict(
    stateDict: Map<string, Tensor>,
    prefix: string,
    localMetadata: LocalMetadata,
    strict: boolean,
    missingKeys: string[],
    unexpectedKeys: string[],
    errorMsgs: string[],
  ): void {
    for (const [name, p] of this._parameters) {
      const input = stateDict.get(prefix + name);
      if (p instanceof UninitializedParameter && input && !input.isUninitialized()) {
        this.setParameter(name, p.materialize(input.shape));
      }
    }
    for (const [name, b] of this._buffers) {
      const input = stateDict.get(prefix + name);
      if (b instanceof UninitializedBuffer && input && !input.isUninitialized()) {
        this.setBuffer(name, b.materialize(input.shape));
      }
    }
    super._loadFromStateDict(stateDict, prefix, localMetadata, strict, missingKeys, unexpectedKeys, errorMsgs);
  }
}

export class LazyBatchNorm1d extends LazyBatchNorm {
  protected clsToBecome() {
    return BatchNorm1d;
  }
  protected checkInputDim(input: Tensor): void {
    check1d(input);
  }
}

export class LazyBatchNorm2d extends LazyBatchNorm {
  protected clsToBecome() {
    return BatchNorm2d;
  }
  protected checkInputDim(input: Tensor): void {
    checkNd(input, 4);
  }
}

export class LazyBatchNorm3d extends LazyBatchNorm {
  protected clsToBecome() {
    return BatchNorm3d;
  }
  protected checkInputDim(input: Tensor): void {
    checkNd(input, 5);
  }
}
