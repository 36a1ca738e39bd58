/**
 * Parameter: a Tensor a Module registers as learnable (requiresGrad by default).
 * UninitializedParameter / UninitializedBuffer: lazy modules' placeholders that hold no data until
 * `materialize(shape)` (PyTorch's torch.nn.parameter.Uninitialized*). Reading their shape raises
 * PyTorch's text, which is how loading a lazy state into an eager module fails.
 */
import { allocate, type DType, type TypedArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { RuntimeError, ValueError } from '../errors.js';

export class Parameter extends Tensor {
  constructor(data: Tensor | TypedArray, shape?: readonly number[], requiresGrad = true) {
    if (data instanceof Tensor) super(data.storage, data.shape, data.dtype, requiresGrad);
    else super(data, shape ?? [data.length], undefined, requiresGrad);
    this.isParameter = true;
  }
}

export const UNINITIALIZED_SHAPE_MESSAGE =
  "Can't access the shape of an uninitialized parameter or buffer. " +
  'This error usually happens in `load_state_dict` when trying to load ' +
  'an uninitialized parameter into an initialized one. ' +
  'Call `forward` to initialize the parameters before accessing their attributes.';

/** PyTorch's text when an uninitialized parameter reaches a torch function (optimizers, ops). */
export function uninitializedUseMessage(what: string, cls: string): string {
  return (
    `Attempted to use an uninitialized parameter in ${what}. ` +
    'This error happens when you are using a `LazyModule` or ' +
    `explicitly manipulating \`torch.nn.parameter.${cls}\` ` +
    'objects. When using LazyModules Call `forward` with a dummy batch ' +
    'to initialize the parameters before calling torch functions'
  );
}

/** Placeholder shape guard shared by both uninitialized kinds. */
function uninitializedShape(): never {
  throw new RuntimeError(UNINITIALIZED_SHAPE_MESSAGE);
}

export class UninitializedParameter extends Parameter {
  readonly pendingDtype: DType;
  constructor(dtype: DType = 'float32', requiresGrad = true) {
    super(new Tensor(allocate(dtype, 0), [0], dtype), [0], requiresGrad);
    this.pendingDtype = dtype;
  }
  override isUninitialized(): boolean {
    return true;
  }
  /** The shape is unknown until materialized: PyTorch raises, and so do we. */
  get realShape(): never {
    return uninitializedShape();
  }
  /** A real Parameter of `shape` (zero-filled; the module resets it). */
  materialize(shape: readonly number[]): Parameter {
    const n = shape.reduce((p, d) => p * d, 1);
    return new Parameter(new Tensor(allocate(this.pendingDtype, n), shape, this.pendingDtype), shape, this.requiresGrad);
  }
}

export class UninitializedBuffer extends Tensor {
  readonly pendingDtype: DType;
  constructor(dtype: DType = 'float32') {
    super(allocate(dtype, 0), [0], dtype);
    this.pendingDtype = dtype;
  }
  override isUninitialized(): boolean {
    return true;
  }
  materialize(shape: readonly number[]): Tensor {
    const n = shape.reduce((p, d) => p * d, 1);
    return new Tensor(allocate(this.pendingDtype, n), shape, this.pendingDtype);
  }
}

/** Throws PyTorch's ValueError when `t` is an uninitialized placeholder used by `what`. */
export function assertInitialized(t: Tensor, what: string): void {
  if (t.isUninitialized()) {
    const cls = t instanceof UninitializedParameter ? 'UninitializedParameter' : 'UninitializedBuffer';
    throw new ValueError(uninitializedUseMessage(what, cls));
  }
}

/** The shape of a tensor for state-dict loading: raises PyTorch's text for uninitialized ones. */
export function checkedShape(t: Tensor): readonly number[] {
  if (t.isUninitialized()) uninitializedShape();
  return t.shape;
}
