/**
 * Tensor creation, named like PyTorch's factories: tensor, zeros, ones, full, randn, rand, arange.
 */
import { allocate, dtypeOfArray, isFloating, type DType, type TypedArray } from './dtype.js';
import { shapeNumel, Tensor, type TensorOptions } from './tensor.js';
import { defaultGenerator, type Generator } from './random.js';
import { RuntimeError } from '../errors.js';

export interface FactoryOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/**
 * A tensor from a typed array (dtype from the array unless given) or from nested number arrays
 * (float32 by default, like `torch.tensor([...])` with floats).
 */
export function tensor(data: TypedArray | number | unknown[], opts: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const dtype = opts.dtype ?? dtypeOfArray(arr);
    const shape = opts.shape ?? [arr.length];
    return new Tensor(arr, shape, dtype, opts.requiresGrad ?? false);
  }
  const { flat, shape } = flattenNested(data);
  const dtype = opts.dtype ?? 'float32';
  const out = new Tensor(allocate(dtype, flat.length), opts.shape ?? shape, dtype);
  flat.forEach((v, i) => out.setFlat(i, v));
  out.requiresGrad = opts.requiresGrad ?? false;
  return out;
}

function flattenNested(data: number | unknown[]): { flat: number[]; shape: number[] } {
  if (typeof data === 'number') return { flat: [data], shape: [] };
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const flat: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new RuntimeError('tensor(): expected numbers');
      flat.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RuntimeError(`expected sequence of length ${shape[depth]} at dim ${depth}`);
    }
    for (const e of v) walk(e, depth + 1);
  };
  walk(data, 0);
  return { flat, shape };
}

function make(shape: readonly number[], opts: FactoryOptions, fill?: number): Tensor {
  const dtype = opts.dtype ?? 'float32';
  const t = new Tensor(allocate(dtype, shapeNumel(shape)), shape, dtype);
  if (fill !== undefined && fill !== 0) t.fill_(fill);
  if (opts.requiresGrad) {
    if (!isFloating(dtype))
      throw new RuntimeError('Only Tensors of floating point and complex dtype can require gradients');
    t.requiresGrad = true;
  }
  return t;
}

export function zeros(shape: readonly number[], opts: FactoryOptions = {}): Tensor {
  return make(shape, opts);
}

export function ones(shape: readonly number[], opts: FactoryOptions = {}): Tensor {
  return make(shape, opts, 1);
}

export function full(shape: readonly number[], value: number, opts: FactoryOptions = {}): Tensor {
  return make(shape, opts, value);
}

/** A 0-dim tensor holding one value (int64 for the BatchNorm counter). */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  const t = make([], { dtype });
  t.setFlat(0, value);
  return t;
}

/** Standard normal samples from `generator` (the default one, seeded by manualSeed()). */
export function randn(shape: readonly number[], opts: FactoryOptions & { generator?: Generator } = {}): Tensor {
  const t = make(shape, { ...opts, requiresGrad: false });
  const g = opts.generator ?? defaultGenerator;
  for (let i = 0; i < t.numel(); i++) t.setFlat(i, g.normal());
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

/** Uniform samples in [low, high). */
export function rand(
  shape: readonly number[],
  opts: FactoryOptions & { generator?: Generator; low?: number; high?: number } = {},
): Tensor {
  const t = make(shape, { ...opts, requiresGrad: false });
  const g = opts.generator ?? defaultGenerator;
  const lo = opts.low ?? 0;
  const hi = opts.high ?? 1;
  for (let i = 0; i < t.numel(); i++) t.setFlat(i, lo + (hi - lo) * g.uniform());
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

export function arange(n: number, opts: FactoryOptions = {}): Tensor {
  const t = make([n], { dtype: opts.dtype ?? 'int64' });
  for (let i = 0; i < n; i++) t.setFlat(i, i);
  return t;
}
