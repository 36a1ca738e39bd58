/**
 * Storage: a tensor's values, held on the host, on a device, or on both. Views (reshape, detach)
 * share one Storage, so a value written on either side is seen through every view.
 *
 * On the CUDA backend, ops read their inputs from `deviceBuffer()` (uploading a host-only storage
 * once) and write outputs into device-only storages (`Storage.onDevice`): a stack's activations,
 * gradients and parameters then stay on the device between steps, and values cross the bus only at
 * the boundary — when a caller reads them on the host (`host()` / `hostView()`) or gives the device a
 * host-made tensor (the input batch).
 *
 * Which copy is current:
 *   'host'   only the host array (every tensor on the TypeScript and CPU backends);
 *   'device' only the device buffer (an op's output on CUDA; the host array is allocated on first read);
 *   'both'   equal copies (after an upload, or a read that promised not to write).
 * `host()` hands out the array for reading and writing, so it makes the host copy the only current one
 * (the device copy is re-uploaded at its next use); `hostView()` is for readers that do not write.
 * The array `host()` returns is the host copy as of that call, as `tensor.cpu()` is in PyTorch: writes
 * through it reach the device at the next device read only if no device read came in between. To
 * write later, ask for it again (`tensor.data[i] = v` does; so do fill_, copy_ and setFlat).
 */
import { allocateUninit, itemSize, type DType, type TypedArray } from './dtype.js';
import { isTransient, releaseBuffer } from './allocator.js';
import { noteHostStorage, type ScopedStorage } from './scope.js';
import { RuntimeError } from '../errors.js';

/** An allocation on a device; owned by the DeviceMemory that made it (freed when collected). */
export interface DeviceBuffer {
  readonly byteLength: number;
}

/**
 * A device's memory, as the tensor layer sees it. The host device (`host`) has no memory of its own: its
 * buffers are the storages' host arrays, so asking for one never copies.
 */
export interface DeviceMemory {
  readonly host?: boolean;
  alloc(byteLength: number): DeviceBuffer;
  upload(dst: DeviceBuffer, src: TypedArray): void;
  download(src: DeviceBuffer, dst: TypedArray): void;
  /** Device-to-device copy of src's bytes into dst (same length). */
  copy(dst: DeviceBuffer, src: DeviceBuffer): void;
}

type Where = 'host' | 'device' | 'both';

export class Storage implements ScopedStorage {
  /** Set by release(): the host buffer went back to the allocator's cache (engine/tensor/scope.ts). */
  private released = false;

  private constructor(
    readonly dtype: DType,
    readonly length: number,
    private hostArray: TypedArray | null,
    private mem: DeviceMemory | null,
    private dev: DeviceBuffer | null,
    private where: Where,
  ) {}

  /** A storage holding `data` on the host (the array is used, not copied). */
  static fromHost(data: TypedArray, dtype: DType): Storage {
    const s = new Storage(dtype, data.length, data, null, null, 'host');
    noteHostStorage(s, data.buffer);
    return s;
  }

  /**
   * A storage whose only copy is a fresh device buffer (an op's output, to be written by a kernel). On
   * the host device: a host array from the caching allocator that a tidy() scope may release.
   */
  static onDevice(mem: DeviceMemory, dtype: DType, length: number): Storage {
    if (mem.host) return Storage.fromHost(allocateUninit(dtype, length), dtype);
    return new Storage(dtype, length, null, mem, mem.alloc(length * itemSize(dtype)), 'device');
  }

  /** True when only the device holds the current values (a host read would download them). */
  get isDeviceOnly(): boolean {
    return this.where === 'device';
  }

  /** True when the device holds a current copy (nothing to upload before a kernel reads it). */
  get isOnDevice(): boolean {
    return this.where !== 'host';
  }

  /** The host array for reading and writing: downloads first when the host copy is not current. */
  host(): TypedArray {
    const h = this.syncHost();
    this.where = 'host';
    return h;
  }

  /** The host array for a caller about to overwrite every value: nothing is downloaded. */
  hostForOverwrite(): TypedArray {
    this.checkLive();
    if (!this.hostArray || this.hostArray.length !== this.length)
      this.hostArray = allocateUninit(this.dtype, this.length, false);
    this.where = 'host';
    return this.hostArray;
  }

  /** The host array for reading only: the device copy, when there is one, stays current. */
  hostView(): TypedArray {
    const h = this.syncHost();
    if (this.where === 'device') this.where = 'both';
    return h;
  }

  /**
   * The device buffer holding the current values, for a kernel that reads them (uploads a host-only
   * storage, allocating its buffer on first use).
   */
  deviceBuffer(mem: DeviceMemory): DeviceBuffer {
    if (mem.host) return this.hostView();
    this.checkLive();
    if (this.where !== 'host' && this.mem === mem) return this.dev!;
    if (this.where === 'device') {
      // Current only on another device memory: bring it home first (never happens with one device).
      this.syncHost();
      this.where = 'host';
    }
    if (!this.dev || this.mem !== mem) {
      this.mem = mem;
      this.dev = mem.alloc(this.length * itemSize(this.dtype));
    }
    if (this.length > 0) mem.upload(this.dev, this.hostArray!);
    this.where = 'both';
    return this.dev;
  }

  /** The device buffer for a kernel that updates the values in place: the host copy goes stale. */
  deviceBufferForWrite(mem: DeviceMemory): DeviceBuffer {
    if (mem.host) return this.host();
    const b = this.deviceBuffer(mem);
    this.where = 'device';
    return b;
  }

  /**
   * Gives a host-only storage's pooled buffer back to the allocator (engine/tensor/allocator.ts). Every
   * later read or write of this storage throws. False when nothing was released: a device copy is
   * current, the array is not the pool's (user data, small arrays), it was released already, or
   * (`scopedOnly`, a scope's release) the buffer is not a scope's to release (engine/tensor/scope.ts).
   */
  release(scopedOnly = false): boolean {
    if (this.released || this.where !== 'host' || !this.hostArray) return false;
    if (scopedOnly && !isTransient(this.hostArray.buffer)) return false;
    if (!releaseBuffer(this.hostArray.buffer)) return false;
    this.released = true;
    this.hostArray = null;
    return true;
  }

  /** True after release(). */
  get isReleased(): boolean {
    return this.released;
  }

  private checkLive(): void {
    // A view over a buffer another storage released reads as length 0 (the buffer is detached): it
    // refuses like a released storage instead of reading nothing.
    if (this.released || (this.hostArray !== null && this.length > 0 && this.hostArray.length === 0)) {
      throw new RuntimeError(
        'this tensor was released (by tidy() or dispose()) and its memory reused; keep() it or return it from tidy() to use it later',
      );
    }
  }

  private syncHost(): TypedArray {
    this.checkLive();
    if (this.where !== 'device') return this.hostArray!;
    if (!this.hostArray || this.hostArray.length !== this.length)
      this.hostArray = allocateUninit(this.dtype, this.length, false);
    if (this.length > 0) this.mem!.download(this.dev!, this.hostArray);
    return this.hostArray;
  }
}
