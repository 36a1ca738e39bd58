/**
 * Lazy tensors read from a file. A StorageRef knows where a storage's bytes are; a TensorRef is a view
 * (offset, shape, strides) into one. Nothing is read or copied until `materialize()`: a whole-file
 * source hands out views into the file's bytes, and a contiguous, aligned, little-endian view becomes
 * a Tensor over those same bytes. Shared storages are read once.
 */
import { itemSize, type DType, type TypedArray, DTYPES } from '../tensor/dtype.js';
import { Tensor, shapeNumel } from '../tensor/tensor.js';
import { Storage } from '../tensor/storage.js';
import { CheckpointError } from './errors.js';
import type { Meter } from './budgets.js';

/** How many times its own size a storage may be read before reads are charged to the byte budget. */
export const FREE_READS = 4;

/** Largest tensor we build in memory (elements); bigger ones must be streamed by the caller. */
export const MAX_MATERIALIZE_ELEMENTS = 2 ** 31 - 1;

export function isSupportedDtype(d: string): d is DType {
  return (DTYPES as readonly string[]).includes(d);
}

export class StorageRef {
  private cached: TypedArray | null = null;
  /** The load's budgets: reads of this storage beyond FREE_READS × its size are charged here. */
  meter: Meter | null = null;
  private elementsRead = 0;
  constructor(
    readonly key: string,
    /** Element dtype; unsupported ones (complex, quantized) keep their torch name. */
    readonly dtype: string,
    readonly numel: number,
    readonly location: string,
    private readonly loadBytes: () => Uint8Array,
    readonly bigEndian = false,
  ) {}

  get nbytes(): number {
    return isSupportedDtype(this.dtype) ? this.numel * itemSize(this.dtype) : 0;
  }

  /**
   * Counts `elements` about to be scanned or copied from this storage. Reading a storage a few times
   * is what inspecting, diffing or converting a file costs; reading it more often than FREE_READS
   * times its size means views describe more than the file holds (a stride-0 expand, 20,000 views
   * of one storage), and that is charged to the byte budget before the work is done.
   */
  chargeRead(elements: number, what: string): void {
    const free = FREE_READS * Math.max(this.numel, 1);
    const before = Math.max(0, this.elementsRead - free);
    this.elementsRead += elements;
    const over = Math.max(0, this.elementsRead - free) - before;
    if (over > 0 && this.meter) {
      const size = isSupportedDtype(this.dtype) ? itemSize(this.dtype) : 1;
      this.meter.chargeBytes(over * size, what);
    }
  }

  /** Raw little-endian bytes of the storage (may be a view into the file). */
  bytes(): Uint8Array {
    return this.loadBytes();
  }

  /** The storage as a typed array of its dtype (read once and cached unless `cache` is false). */
  array(cache = true): TypedArray {
    // A cached array whose buffer was released (dispose() of a tensor made from it detaches the buffer)
    // reads as empty: the storage is read again rather than handing out a dead view.
    if (this.cached && this.cached.length === this.numel) return this.cached;
    this.cached = null;
    this.slices.clear();
    if (!isSupportedDtype(this.dtype)) {
      throw new CheckpointError(`storage ${this.key} has dtype ${this.dtype}, which NormScope cannot load`);
    }
    const size = itemSize(this.dtype);
    const raw = this.loadBytes();
    if (raw.length !== this.numel * size) {
      throw new CheckpointError(
        `storage ${this.key} holds ${raw.length} bytes, expected ${this.numel * size} (${this.numel} × ${this.dtype})`,
      );
    }
    let bytes = raw;
    if (this.bigEndian && size > 1) {
      bytes = raw.slice();
      swapBytes(bytes, size);
    } else if (raw.byteOffset % size !== 0) {
      bytes = raw.slice();
    }
    const arr = typedView(this.dtype, bytes, this.numel);
    if (cache) this.cached = arr;
    return arr;
  }

  /** Drops the cached array (diff streaming keeps memory bounded this way). */
  release(): void {
    this.cached = null;
    this.slices.clear();
  }

  /** Engine storages over ranges of the cached array, by `offset:length` (see `slice`). */
  private readonly slices = new Map<string, Storage>();

  /**
   * An engine Storage holding elements [offset, offset + n) of this storage. With `cache`, every tensor
   * materialised over the same range shares one Storage (tied weights: one file storage under two keys),
   * as views share one in the engine: releasing one of them (dispose) then makes the others refuse to
   * be read, instead of silently reading a released, empty buffer.
   */
  slice(offset: number, n: number, cache = true): Storage {
    const dtype = this.dtype as DType;
    const src = this.array(cache);
    const key = `${offset}:${n}`;
    const known = cache ? this.slices.get(key) : undefined;
    if (known && !known.isReleased) return known;
    const s = Storage.fromHost(src.subarray(offset, offset + n) as TypedArray, dtype);
    if (cache) this.slices.set(key, s);
    return s;
  }
}

export function typedView(dtype: DType, bytes: Uint8Array, n: number): TypedArray {
  const b = bytes.buffer;
  const o = bytes.byteOffset;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b, o, n);
    case 'float64':
      return new Float64Array(b, o, n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(b, o, n);
    case 'int8':
      return new Int8Array(b, o, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(b, o, n);
    case 'int16':
      return new Int16Array(b, o, n);
    case 'int32':
      return new Int32Array(b, o, n);
    case 'int64':
      return new BigInt64Array(b, o, n);
  }
}

export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const t = bytes[a]!;
      bytes[a] = bytes[z]!;
      bytes[z] = t;
    }
  }
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export class TensorRef {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    shape: readonly number[],
    stride: readonly number[],
    readonly requiresGrad = false,
    public isParameter = false,
  ) {
    if (shape.length !== stride.length) {
      throw new CheckpointError(`tensor view has ${shape.length} sizes but ${stride.length} strides`);
    }
    for (const d of [...shape, ...stride, storageOffset]) {
      if (!Number.isSafeInteger(d) || d < 0) throw new CheckpointError(`invalid tensor view value ${d}`);
    }
    this.shape = Object.freeze([...shape]);
    this.stride = Object.freeze([...stride]);
    const n = shapeNumel(shape);
    if (!Number.isSafeInteger(n)) throw new CheckpointError(`tensor shape [${shape.join(', ')}] is too large`);
    if (n > 0) {
      let last = storageOffset;
      for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * stride[i]!;
      if (last >= storage.numel) {
        throw new CheckpointError(
          `tensor view [${shape.join(', ')}] at offset ${storageOffset} reaches element ${last} of storage ${storage.key}, which holds ${storage.numel}`,
        );
      }
    }
  }

  get dtype(): string {
    return this.storage.dtype;
  }

  numel(): number {
    return shapeNumel(this.shape);
  }

  isContiguous(): boolean {
    const c = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d <= 1 || c[i] === this.stride[i]);
  }

  /** A contiguous Tensor with this view's values (a view over the storage when possible). */
  materialize(opts: { cache?: boolean } = {}): Tensor {
    const dtype = this.storage.dtype;
    if (!isSupportedDtype(dtype)) throw new CheckpointError(`tensor dtype ${dtype} is not supported`);
    const n = this.numel();
    if (n > MAX_MATERIALIZE_ELEMENTS) throw new CheckpointError(`tensor of ${n} elements is too large to load`);
    if (n === 0) return new Tensor(typedView(dtype, new Uint8Array(0), 0), this.shape, dtype);
    if (!this.isContiguous()) {
      // A copy: charged before it is made, so a stride-0 view of one element describing 2^31 of them
      // is refused by the byte budget instead of allocating gigabytes.
      this.storage.chargeRead(n, `copy of the view ${viewText(this)}`);
    }
    if (this.isContiguous()) {
      return new Tensor(this.storage.slice(this.storageOffset, n, opts.cache ?? true), this.shape, dtype);
    }
    const src = this.storage.array(opts.cache ?? true);
    return new Tensor(gather(src, this.storageOffset, this.shape, this.stride, n), this.shape, dtype);
  }

  /**
   * The storage elements this view reads, each once, as a Tensor (1-D unless the view is its own
   * footprint): what summaries and health scans need, since min/max/mean/NaN counts do not depend on
   * how often or in which order an element is repeated. Stride-0 and size-1 dimensions are dropped; a
   * view that covers a contiguous range without overlap (contiguous, transposed, permuted) is that
   * range (no copy); a view with gaps is gathered (at most its storage's size); an overlapping view
   * (more elements than the storage range it spans) is summarised over that range. Cost: at most the
   * storage's size, never the view's element count.
   */
  footprint(opts: { cache?: boolean } = {}): Tensor {
    const dtype = this.storage.dtype;
    if (!isSupportedDtype(dtype)) throw new CheckpointError(`tensor dtype ${dtype} is not supported`);
    if (this.numel() === 0) return new Tensor(typedView(dtype, new Uint8Array(0), 0), [0], dtype);
    const dims: [number, number][] = [];
    for (let i = 0; i < this.shape.length; i++) {
      if (this.shape[i]! > 1 && this.stride[i]! > 0) dims.push([this.shape[i]!, this.stride[i]!]);
    }
    dims.sort((a, b) => a[1] - b[1]);
    let n = 1;
    let span = 1;
    let dense = true;
    for (const [size, stride] of dims) {
      if (stride !== n) dense = false;
      n *= size;
      span += (size - 1) * stride;
    }
    const first = this.storageOffset;
    this.storage.chargeRead(Math.min(n, span), `scan of the view ${viewText(this)}`);
    if (dense || n > span) {
      const src = this.storage.array(opts.cache ?? true);
      return new Tensor(src.subarray(first, first + span) as TypedArray, [span], dtype);
    }
    const src = this.storage.array(opts.cache ?? true);
    const shape = dims.map((d) => d[0]).reverse();
    const stride = dims.map((d) => d[1]).reverse();
    return new Tensor(gather(src, first, shape, stride, n), [n], dtype);
  }

  /** True when the view repeats storage elements (stride 0 or overlapping strides). */
  isExpanded(): boolean {
    return this.footprintNumel() < this.numel();
  }

  /** How many distinct storage elements the view reads at most (computed, nothing read). */
  footprintNumel(): number {
    if (this.numel() === 0) return 0;
    let n = 1;
    let span = 1;
    for (let i = 0; i < this.shape.length; i++) {
      if (this.stride[i] === 0) continue;
      n *= this.shape[i]!;
      span += (this.shape[i]! - 1) * this.stride[i]!;
    }
    return Math.min(n, span);
  }
}

function viewText(t: TensorRef): string {
  return `[${t.shape.join(', ')}] with strides (${t.stride.join(', ')})`;
}

/** Copies a strided view into a new contiguous array (iterative odometer, any rank). */
function gather(
  src: TypedArray,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
  n: number,
): TypedArray {
  const out = new (src.constructor as new (n: number) => TypedArray)(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let pos = offset;
  for (let i = 0; i < n; i++) {
    (out as unknown as number[])[i] = (src as unknown as number[])[pos]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      pos += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      pos -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
