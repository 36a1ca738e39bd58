/**
 * Modules from stack specs and back: buildStack() checks a spec with the one validator
 * (layerSpec.ts, which names the failing field's path) and builds a Sequential; specOf() is its
 * inverse for module trees made of the supported layers.
 */
import { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, NormBase, type NormOptions } from './batchnorm.js';
import { LazyBatchNorm, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d } from './lazy.js';
import { SyncBatchNorm } from './syncBatchNorm.js';
import { Linear } from './layers/linear.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten, ReLU, Sequential } from './layers/simple.js';
import { ValueError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { stackSpecProblem, type LayerSpec, type NormSpec, type StackSpec } from './layerSpec.js';

export { LAYER_TYPES, type LayerSpec, type NormSpec, type StackSpec } from './layerSpec.js';

function normOptions(s: NormSpec, dtype: DType): NormOptions {
  const o: NormOptions = { dtype };
  if (s.eps !== undefined) o.eps = s.eps;
  if (s.momentum !== undefined) o.momentum = s.momentum;
  if (s.affine !== undefined) o.affine = s.affine;
  if (s.trackRunningStats !== undefined) o.trackRunningStats = s.trackRunningStats;
  return o;
}

/** Builds one layer of a spec that stackSpecProblem() accepted. */
function buildLayer(s: LayerSpec, dtype: DType): Module {
  switch (s.type) {
    case 'Linear':
      return new Linear(s.inFeatures, s.outFeatures, { bias: s.bias !== false, dtype });
    case 'Conv2d':
      return new Conv2d(s.inChannels, s.outChannels, s.kernelSize, {
        stride: s.stride,
        padding: s.padding,
        bias: s.bias !== false,
        dtype,
      });
    case 'ReLU':
      return new ReLU();
    case 'Flatten':
      return new Flatten(s.startDim ?? 1, s.endDim ?? -1);
    case 'BatchNorm1d':
      return new BatchNorm1d(s.numFeatures, normOptions(s, dtype));
    case 'BatchNorm2d':
      return new BatchNorm2d(s.numFeatures, normOptions(s, dtype));
    case 'BatchNorm3d':
      return new BatchNorm3d(s.numFeatures, normOptions(s, dtype));
    case 'SyncBatchNorm':
      return new SyncBatchNorm(s.numFeatures, normOptions(s, dtype));
    case 'LazyBatchNorm1d':
      return new LazyBatchNorm1d(normOptions(s, dtype));
    case 'LazyBatchNorm2d':
      return new LazyBatchNorm2d(normOptions(s, dtype));
    case 'LazyBatchNorm3d':
      return new LazyBatchNorm3d(normOptions(s, dtype));
    case 'Sequential':
      return new Sequential(...s.layers.map((l) => buildLayer(l, dtype)));
  }
}

/** Builds a Sequential from a stack spec (throws a ValueError naming the bad field's path). */
export function buildStack(spec: unknown): Sequential {
  const problem = stackSpecProblem(spec);
  if (problem) throw new ValueError(problem);
  const s = spec as StackSpec;
  const dtype = s.dtype ?? 'float32';
  return new Sequential(...s.layers.map((l) => buildLayer(l, dtype)));
}

function normSpec(m: NormBase): NormSpec {
  return { eps: m.eps, momentum: m.momentum, affine: m.affine, trackRunningStats: m.trackRunningStats };
}

/** The stack spec of a Sequential built from the supported layers (inverse of buildStack). */
export function stackSpecOf(m: Sequential): StackSpec {
  return { layers: m.children().map(specOf) };
}

/** The spec of a module tree built from the supported layers. */
export function specOf(m: Module): LayerSpec {
  if (m instanceof Sequential) return { type: 'Sequential', layers: m.children().map(specOf) };
  if (m instanceof Linear) return { type: 'Linear', inFeatures: m.inFeatures, outFeatures: m.outFeatures, bias: m.bias !== null };
  if (m instanceof Conv2d) {
    return { type: 'Conv2d', inChannels: m.inChannels, outChannels: m.outChannels, kernelSize: m.kernelSize, stride: m.stride, padding: m.padding, bias: m.bias !== null };
  }
  if (m instanceof ReLU) return { type: 'ReLU' };
  if (m instanceof Flatten) return { type: 'Flatten', startDim: m.startDim, endDim: m.endDim };
  if (m instanceof LazyBatchNorm) return { type: m.getName() as 'LazyBatchNorm1d', ...normSpec(m) };
  if (m instanceof SyncBatchNorm) return { type: 'SyncBatchNorm', numFeatures: m.numFeatures, ...normSpec(m) };
  if (m instanceof NormBase) return { type: m.getName() as 'BatchNorm1d', numFeatures: m.numFeatures, ...normSpec(m) };
  throw new ValueError(`${m.getName()} has no stack spec`);
}
