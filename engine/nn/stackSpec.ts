/**
 * Stack specs: the JSON that the app, the CLI, rank processes and saved sessions share to describe
 * a layer stack. `{"layers": [{"type": "Linear", "inFeatures": 16, "outFeatures": 32}, …]}` —
 * `type` is the engine class name, the other fields its constructor options in camelCase,
 * `Sequential` nests `layers`. buildStack() validates as it builds and names the failing path.
 */
import { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, NormBase, type NormOptions } from './batchnorm.js';
import { LazyBatchNorm, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d } from './lazy.js';
import { SyncBatchNorm } from './syncBatchNorm.js';
import { Linear } from './layers/linear.js';
import { Conv2d, type Pair } from './layers/conv2d.js';
import { Flatten, ReLU, Sequential } from './layers/simple.js';
import { ValueError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';

export type LayerSpec =
  | { type: 'Linear'; inFeatures: number; outFeatures: number; bias?: boolean }
  | { type: 'Conv2d'; inChannels: number; outChannels: number; kernelSize: Pair; stride?: Pair; padding?: Pair; bias?: boolean }
  | { type: 'ReLU' }
  | { type: 'Flatten'; startDim?: number; endDim?: number }
  | ({ type: 'BatchNorm1d' | 'BatchNorm2d' | 'BatchNorm3d' | 'SyncBatchNorm'; numFeatures: number } & NormSpec)
  | ({ type: 'LazyBatchNorm1d' | 'LazyBatchNorm2d' | 'LazyBatchNorm3d' } & NormSpec)
  | { type: 'Sequential'; layers: LayerSpec[] };

export interface NormSpec {
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export interface StackSpec {
  layers: LayerSpec[];
  dtype?: DType;
}

export const LAYER_TYPES = [
  'Linear',
  'Conv2d',
  'ReLU',
  'Flatten',
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'LazyBatchNorm1d',
  'LazyBatchNorm2d',
  'LazyBatchNorm3d',
  'SyncBatchNorm',
  'Sequential',
] as const;

function posInt(v: unknown, path: string, field: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new ValueError(`${path}.${field} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got ${JSON.stringify(v)})`);
  }
  return v;
}

function pairSpec(v: unknown, path: string, field: string, allowZero: boolean): Pair | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.length === 2) return [posInt(v[0], path, field, allowZero), posInt(v[1], path, field, allowZero)];
  return posInt(v, path, field, allowZero);
}

function normOptions(s: Record<string, unknown>, path: string, dtype: DType): NormOptions {
  const o: NormOptions = { dtype };
  if (s.eps !== undefined) {
    if (typeof s.eps !== 'number' || !(s.eps >= 0)) throw new ValueError(`${path}.eps must be a non-negative number`);
    o.eps = s.eps;
  }
  if (s.momentum !== undefined) {
    if (s.momentum !== null && typeof s.momentum !== 'number') throw new ValueError(`${path}.momentum must be a number or null`);
    o.momentum = s.momentum as number | null;
  }
  for (const k of ['affine', 'trackRunningStats'] as const) {
    if (s[k] !== undefined) {
      if (typeof s[k] !== 'boolean') throw new ValueError(`${path}.${k} must be true or false`);
      o[k] = s[k] as boolean;
    }
  }
  return o;
}

function buildLayer(spec: unknown, path: string, dtype: DType): Module {
  if (!spec || typeof spec !== 'object') throw new ValueError(`${path} must be an object with a "type"`);
  const s = spec as Record<string, unknown>;
  switch (s.type) {
    case 'Linear':
      return new Linear(posInt(s.inFeatures, path, 'inFeatures'), posInt(s.outFeatures, path, 'outFeatures'), {
        bias: s.bias !== false,
        dtype,
      });
    case 'Conv2d':
      return new Conv2d(
        posInt(s.inChannels, path, 'inChannels'),
        posInt(s.outChannels, path, 'outChannels'),
        pairSpec(s.kernelSize, path, 'kernelSize', false) ?? posInt(undefined, path, 'kernelSize'),
        { stride: pairSpec(s.stride, path, 'stride', false), padding: pairSpec(s.padding, path, 'padding', true), bias: s.bias !== false, dtype },
      );
    case 'ReLU':
      return new ReLU();
    case 'Flatten':
      return new Flatten((s.startDim as number | undefined) ?? 1, (s.endDim as number | undefined) ?? -1);
    case 'BatchNorm1d':
      return new BatchNorm1d(posInt(s.numFeatures, path, 'numFeatures'), normOptions(s, path, dtype));
    case 'BatchNorm2d':
      return new BatchNorm2d(posInt(s.numFeatures, path, 'numFeatures'), normOptions(s, path, dtype));
    case 'BatchNorm3d':
      return new BatchNorm3d(posInt(s.numFeatures, path, 'numFeatures'), normOptions(s, path, dtype));
    case 'SyncBatchNorm':
      return new SyncBatchNorm(posInt(s.numFeatures, path, 'numFeatures'), normOptions(s, path, dtype));
    case 'LazyBatchNorm1d':
      return new LazyBatchNorm1d(normOptions(s, path, dtype));
    case 'LazyBatchNorm2d':
      return new LazyBatchNorm2d(normOptions(s, path, dtype));
    case 'LazyBatchNorm3d':
      return new LazyBatchNorm3d(normOptions(s, path, dtype));
    case 'Sequential': {
      if (!Array.isArray(s.layers)) throw new ValueError(`${path}.layers must be an array`);
      return new Sequential(...s.layers.map((l, i) => buildLayer(l, `${path}.layers[${i}]`, dtype)));
    }
    default:
      throw new ValueError(`${path}.type ${JSON.stringify(s.type)} is not one of ${LAYER_TYPES.join(', ')}`);
  }
}

/** Builds a Sequential from a stack spec (throws a ValueError naming the bad field's path). */
export function buildStack(spec: unknown): Sequential {
  if (!spec || typeof spec !== 'object' || !Array.isArray((spec as StackSpec).layers)) {
    throw new ValueError('stack spec must be an object with a "layers" array');
  }
  const s = spec as StackSpec;
  const dtype = s.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError('stack spec dtype must be float32 or float64');
  return new Sequential(...s.layers.map((l, i) => buildLayer(l, `layers[${i}]`, dtype)));
}

function normSpec(m: NormBase): NormSpec {
  return { eps: m.eps, momentum: m.momentum, affine: m.affine, trackRunningStats: m.trackRunningStats };
}

/** The spec of a module tree built from the supported layers (inverse of buildStack). */
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
