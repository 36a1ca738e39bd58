/**
 * Tensor: a dense, row-major (contiguous) n-d array with a dtype and optional reverse-mode autograd.
 *
 * Storage is always contiguous: views read from files are made contiguous when a Tensor is built
 * from them (engine/io keeps the lazy view until then). Autograd follows PyTorch's model: a tensor
 * produced by a differentiable op records a `gradFn` node; `backward()` walks the graph in reverse
 * topological order and accumulates into `.grad` of leaves that have `requiresGrad`.
 */
import {
  allocate,
  allocateUninit,
  bfloat16ToFloat,
  dtypeOfArray,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  isFloating,
  type DType,
  type FloatArray,
  type TypedArray,
} from './dtype.js';
import { RuntimeError } from '../errors.js';
import { Storage, type DeviceMemory } from './storage.js';
import { deviceFor } from './device.js';
import { attachGrad, isGradEnabled, runBackward, type GradFn } from './autograd.js';

export { noGrad, isGradEnabled, attachGrad, type GradFn } from './autograd.js';

export interface TensorOptions {
  shape?: readonly number[];
  dtype?: DType;
  requiresGrad?: boolean;
}

export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** PyTorch's `torch.Size([2, 3])` spelling, used in error messages. */
export function formatSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

export class Tensor {
  readonly shape: readonly number[];
  /** Changes only through `setStorage` (module dtype casts keep the tensor's identity, like `param.data = …`). */
  dtype: DType;
  /** The values, on the host and/or a device (engine/tensor/storage.ts); views share it. */
  storage: Storage;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /** Set by Module.registerParameter so reprs and optimizers can tell parameters from buffers. */
  isParameter = false;

  /** `data` is a host array (used, not copied) or a Storage to share (a view). */
  constructor(data: TypedArray | Storage, shape: readonly number[], dtype?: DType, requiresGrad = false) {
    const dt = dtype ?? (data instanceof Storage ? data.dtype : dtypeOfArray(data));
    if (data.length !== shapeNumel(shape)) {
      throw new RuntimeError(`shape '[${shape.join(', ')}]' is invalid for input of size ${data.length}`);
    }
    this.storage = data instanceof Storage ? data : Storage.fromHost(data, dt);
    this.shape = Object.freeze([...shape]);
    this.dtype = dt;
    if (requiresGrad && !isFloating(dt)) {
      throw new RuntimeError('Only Tensors of floating point and complex dtype can require gradients');
    }
    this.requiresGrad = requiresGrad;
  }

  /**
   * Contiguous row-major host storage for reading and writing. int64 is a BigInt64Array; float16/bfloat16
   * are raw bits. On a device-resident tensor this downloads, and the host copy becomes the current one.
   */
  get data(): TypedArray {
    return this.storage.host();
  }

  /** The host values for reading only (a device-resident tensor keeps its device copy current). */
  hostView(): TypedArray {
    return this.storage.hostView();
  }

  /** Replaces storage and dtype in place (same shape), as `tensor.data = other` does in PyTorch. */
  setStorage(data: TypedArray, dtype: DType): void {
    if (data.length !== this.storage.length) throw new RuntimeError('setStorage: element count must not change');
    this.storage = Storage.fromHost(data, dtype);
    this.dtype = dtype;
  }

  /** A tensor whose only copy is a fresh, unwritten device buffer (a device op's output). */
  static onDevice(mem: DeviceMemory, shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(Storage.onDevice(mem, dtype, shapeNumel(shape)), shape, dtype);
  }

  /** Lazy modules' placeholders override this to say they hold no data yet. */
  isUninitialized(): boolean {
    return false;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  numel(): number {
    return this.storage.length;
  }

  dim(): number {
    return this.shape.length;
  }

  size(i?: number): number | readonly number[] {
    if (i === undefined) return this.shape;
    const d = i < 0 ? i + this.shape.length : i;
    return this.shape[d]!;
  }

  /** Element `i` of the flat storage as a JS number (int64 converted, half types decoded). */
  getFlat(i: number): number {
    const v = this.storage.hostView()[i]!;
    if (typeof v === 'bigint') return Number(v);
    if (this.dtype === 'float16') return halfToFloat(v);
    if (this.dtype === 'bfloat16') return bfloat16ToFloat(v);
    return v;
  }

  /** Writes element `i` of the flat storage from a JS number, encoding for the dtype. */
  setFlat(i: number, v: number): void {
    const d = this.data;
    if (d instanceof BigInt64Array) d[i] = BigInt(Math.trunc(v));
    else if (this.dtype === 'float16') d[i] = floatToHalf(v);
    else if (this.dtype === 'bfloat16') d[i] = floatToBfloat16(v);
    else if (this.dtype === 'bool') d[i] = v ? 1 : 0;
    else d[i] = v;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new RuntimeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
    return this.getFlat(0);
  }

  /** Flat values as JS numbers. */
  toArray(): number[] {
    const out = new Array<number>(this.numel());
    for (let i = 0; i < out.length; i++) out[i] = this.getFlat(i);
    return out;
  }

  /** Nested arrays in the tensor's shape, like `tensor.tolist()`. */
  toNested(): unknown {
    const flat = this.toArray();
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown[] => {
      const n = this.shape[dim]!;
      const stride = shapeNumel(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.shape.length - 1 ? flat[offset + i] : build(dim + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  /** The float storage of a float32/float64 tensor (compute dtypes only). */
  floatData(): FloatArray {
    const d = this.data; // one getter call: on a device tensor each call would check where the values are
    if (d instanceof Float32Array || d instanceof Float64Array) return d;
    throw new RuntimeError(`expected a float32 or float64 tensor, got ${this.dtype}`);
  }

  /**
   * A new tensor with copied storage, no history (copied on the device when the values are there). The
   * host copy goes into a buffer from the allocator's cache (already mapped, unlike a fresh array) that no
   * scope releases by itself: a clone is often kept as state.
   */
  clone(): Tensor {
    const dev = this.storage.isOnDevice ? deviceFor(this) : null;
    if (!dev) {
      const src = this.hostView();
      const out = allocateUninit(this.dtype, src.length, false);
      out.set(src as never);
      return new Tensor(out, this.shape, this.dtype);
    }
    const t = Tensor.onDevice(dev, this.shape, this.dtype);
    dev.copy(t.storage.deviceBuffer(dev), this.storage.deviceBuffer(dev));
    return t;
  }

  /** Same storage, no history (PyTorch's `detach()`). */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype);
  }

  /** Cast to another dtype (a copy; same tensor when the dtype already matches). */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    // The source is only read (getFlat reads the host view: a device tensor keeps its device copy).
    const od = allocate(dtype, this.numel());
    const out = new Tensor(od, this.shape, dtype);
    if (od instanceof BigInt64Array) for (let i = 0; i < od.length; i++) od[i] = BigInt(Math.trunc(this.getFlat(i)));
    else for (let i = 0; i < od.length; i++) out.setFlat(i, this.getFlat(i));
    return out;
  }

  /** A tensor sharing storage with another shape (contiguous, so always a view). */
  reshape(shape: readonly number[]): Tensor {
    const resolved = resolveShape(shape, this.numel());
    return reshapeOp(this, resolved);
  }

  view(shape: readonly number[]): Tensor {
    return this.reshape(shape);
  }

  // ---- in-place ops used on buffers (never recorded by autograd) ----

  zero_(): this {
    const d = this.storage.hostForOverwrite();
    if (d instanceof BigInt64Array) d.fill(0n);
    else d.fill(0);
    return this;
  }

  fill_(v: number): this {
    const d = this.storage.hostForOverwrite();
    if (d instanceof BigInt64Array) d.fill(BigInt(Math.trunc(v)));
    else if (this.dtype === 'float16') d.fill(floatToHalf(v));
    else if (this.dtype === 'bfloat16') d.fill(floatToBfloat16(v));
    else d.fill(v);
    return this;
  }

  /** `self += v` for a scalar (the counter's `add_(1)`). */
  addScalar_(v: number): this {
    if (this.data instanceof BigInt64Array) {
      const b = BigInt(v);
      for (let i = 0; i < this.data.length; i++) this.data[i]! += b;
    } else {
      for (let i = 0; i < this.numel(); i++) this.setFlat(i, this.getFlat(i) + v);
    }
    return this;
  }

  /** Copies `src`'s values into this storage with dtype casting (shapes must hold the same count). */
  copy_(src: Tensor): this {
    if (src.numel() !== this.numel()) {
      throw new RuntimeError(
        `The size of tensor a (${this.numel()}) must match the size of tensor b (${src.numel()}) at non-singleton dimension 0`,
      );
    }
    const from = src.hostView();
    if (src.dtype === this.dtype) this.storage.hostForOverwrite().set(from as never);
    else if (this.dtype === 'int64' && from instanceof BigInt64Array)
      this.storage.hostForOverwrite().set(from as never);
    else for (let i = 0; i < this.numel(); i++) this.setFlat(i, src.getFlat(i));
    return this;
  }

  /**
   * Reverse-mode autograd from this tensor. `grad` defaults to ones for a one-element output
   * (PyTorch refuses implicit gradients for non-scalars, and so do we).
   */
  backward(grad?: Tensor): void {
    if (!this.requiresGrad) {
      throw new RuntimeError('element 0 of tensors does not require grad and does not have a grad_fn');
    }
    let seed = grad;
    if (!seed) {
      if (this.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
      seed = new Tensor(allocate(this.dtype, 1), this.shape, this.dtype).fill_(1);
    }
    runBackward(this, seed, {
      leafGrad: (leaf, g, owned) => new Tensor(owned ? g.storage : g.clone().storage, leaf.shape, leaf.dtype),
      fresh: (like) => new Tensor(allocateUninit(like.dtype, like.numel()), like.shape, like.dtype),
    });
  }

  toString(): string {
    return `tensor(${JSON.stringify(this.toNested())}, dtype=${this.dtype}${this.requiresGrad ? ', requires_grad=True' : ''})`;
  }
}

function resolveShape(shape: readonly number[], numel: number): number[] {
  const out = [...shape];
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const rest = shapeNumel(out.filter((_, i) => i !== inferred));
    out[inferred] = rest === 0 ? 0 : numel / rest;
  }
  if (shapeNumel(out) !== numel || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RuntimeError(`shape '[${shape.join(', ')}]' is invalid for input of size ${numel}`);
  }
  return out;
}

function reshapeOp(x: Tensor, shape: number[]): Tensor {
  const out = new Tensor(x.storage, shape, x.dtype);
  if (x.requiresGrad && isGradEnabled()) {
    const inShape = x.shape;
    attachGrad(out, {
      name: 'ViewBackward0',
      inputs: [x],
      backward: (g) => [new Tensor(g.storage, inShape, g.dtype)],
    });
  }
  return out;
}
