/**
 * The caching host allocator: tensors' host arrays of at least POOL_MIN_BYTES come from a pool of JS
 * ArrayBuffers bucketed by exact byte length, and go back to it when their storage is released
 * (engine/tensor/scope.ts: tidy() and dispose()). A fresh `new Float32Array(n)` costs a page fault per
 * 4 KiB on its first write, more than a whole BatchNorm eval pass over warm memory; a reused buffer is
 * already mapped and often still in cache (PyTorch's CPU path gets the same from malloc's free lists).
 *
 * Plain ArrayBuffers only (Electron forbids external, native-owned ones). Exact-length buckets keep
 * `array.buffer.byteLength === array.byteLength`, which readers and writers that wrap `.buffer` rely on.
 *
 * Safety: a released buffer is detached (its backing store moves to a fresh ArrayBuffer object through a
 * transfer, no copy), so every typed array anyone still holds on the old one reads as empty, and its
 * Storage refuses reads with an error. A released buffer therefore never shows its next owner's values.
 *
 * Only buffers made by `takeBuffer` can be released. Those handed out for kernel outputs and gradients
 * (`transient`) are the ones a scope releases by itself; zero-filled allocations (`allocate`: zeros(),
 * parameters, optimizer state) come from the pool too but are freed only by an explicit dispose() or
 * the garbage collector, so state made lazily inside a step is never taken away.
 */

/** Smaller arrays are not pooled: V8 allocates them quickly, and a pool would only hold them longer. */
export const POOL_MIN_BYTES = 16 * 1024;
const DEFAULT_CACHE_LIMIT = 1024 * 1024 * 1024;

export interface MemoryStats {
  /** Bytes of pooled-size host arrays held by live storages (freed by release or collected). */
  bytesInUse: number;
  /** Bytes of released buffers kept for reuse. */
  bytesCached: number;
  /** The most bytesInUse has been since start or resetPeakMemoryStats(). */
  peakBytesInUse: number;
  /** Most bytes the cache keeps; beyond it the oldest cached buffers are dropped. */
  cacheLimitBytes: number;
  /** Allocations served from the cache / freshly made. */
  poolHits: number;
  poolMisses: number;
  /** Buffers returned to the cache by release. */
  releases: number;
  /** Fresh buffers the fresh-buffer hook reports advised (Linux: transparent huge pages taken). */
  hugePageBuffers: number;
}

/** Live pooled buffers: their length (bytes) and whether a scope may release them by itself. */
const live = new WeakMap<ArrayBuffer, { bytes: number; transient: boolean }>();
/** Released buffers by exact byte length, most recently released last. */
const cache = new Map<number, ArrayBuffer[]>();
const stats = {
  bytesInUse: 0,
  bytesCached: 0,
  peakBytesInUse: 0,
  poolHits: 0,
  poolMisses: 0,
  releases: 0,
  hugePageBuffers: 0,
};
let cacheLimit = parseLimit(globalThis.process?.env?.NORMSCOPE_HOST_CACHE_BYTES);

function parseLimit(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_CACHE_LIMIT;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`NORMSCOPE_HOST_CACHE_BYTES must be a non-negative integer (got ${JSON.stringify(v)})`);
  }
  return n;
}

// A buffer the program dropped without releasing it leaves the in-use count when it is collected.
const collected = new FinalizationRegistry<number>((bytes) => {
  stats.bytesInUse -= bytes;
});

/**
 * A zero-filled (`zero`) or unspecified-content ArrayBuffer of exactly `bytes` bytes. `transient` marks a
 * kernel output or gradient that a tidy() scope may release when no returned or kept tensor holds it.
 */
export function takeBuffer(bytes: number, zero: boolean, transient: boolean): ArrayBuffer {
  if (bytes < POOL_MIN_BYTES) return new ArrayBuffer(bytes);
  const bucket = cache.get(bytes);
  let buf = bucket?.pop();
  if (buf) {
    if (bucket!.length === 0) cache.delete(bytes);
    stats.bytesCached -= bytes;
    stats.poolHits++;
    if (zero) new Uint8Array(buf).fill(0);
  } else {
    stats.poolMisses++;
    buf = freshBuffer(bytes);
  }
  live.set(buf, { bytes, transient });
  collected.register(buf, bytes, buf);
  stats.bytesInUse += bytes;
  if (stats.bytesInUse > stats.peakBytesInUse) stats.peakBytesInUse = stats.bytesInUse;
  return buf;
}

function freshBuffer(bytes: number): ArrayBuffer {
  let buf: ArrayBuffer;
  try {
    buf = new ArrayBuffer(bytes);
  } catch (e) {
    if (stats.bytesCached === 0) throw e;
    emptyCache(); // the cache may be what stands between this allocation and success
    buf = new ArrayBuffer(bytes);
  }
  if (freshHook && bytes >= FRESH_HOOK_MIN_BYTES) {
    try {
      if (freshHook(buf) === true) stats.hugePageBuffers++;
    } catch {
      // Advice only: a failing hook must not fail the allocation.
    }
  }
  return buf;
}

/**
 * Fresh buffers of at least this many bytes go to the fresh-buffer hook. Measured on Linux with the
 * native hook (bench/results/hugepages-2026-12-06.md): below 4 MiB a buffer holds at most one whole
 * 2 MiB-aligned huge page, and the madvise call costs about what it saves.
 */
export const FRESH_HOOK_MIN_BYTES = 4 * 1024 * 1024;

/**
 * Called with each large buffer the allocator has just made, before anyone writes to it. engine/backend
 * installs the native addon's transparent-huge-page advice here (nativeLoader.ts): the first write to
 * fresh memory otherwise costs a page fault per 4 KiB. The allocator only ever passes its own new
 * buffers (never pool hits, never user data); the hook must not change their contents, and its errors
 * are ignored. It returns true when the advice was taken (counted in memoryStats().hugePageBuffers).
 */
export type FreshBufferHook = (buf: ArrayBuffer) => boolean | void;
let freshHook: FreshBufferHook | null = null;

/** Installs (or with null removes) the fresh-buffer hook; returns the previous one. */
export function setFreshBufferHook(hook: FreshBufferHook | null): FreshBufferHook | null {
  const prev = freshHook;
  freshHook = hook;
  return prev;
}

/** True when a scope may release this buffer by itself (a live, pooled kernel output or gradient). */
export function isTransient(buf: ArrayBufferLike): boolean {
  return live.get(buf as ArrayBuffer)?.transient === true;
}

/** Clears the transient mark: the buffer escaped (a second storage wraps it) and is freed only explicitly. */
export function markEscaped(buf: ArrayBufferLike): void {
  const e = live.get(buf as ArrayBuffer);
  if (e) e.transient = false;
}

/**
 * Returns a live pooled buffer to the cache, detaching it first so no view of it stays usable.
 * False (and nothing happens) for buffers this pool did not make or already took back.
 */
export function releaseBuffer(buf: ArrayBufferLike): boolean {
  const e = live.get(buf as ArrayBuffer);
  if (!e) return false;
  live.delete(buf as ArrayBuffer);
  collected.unregister(buf as ArrayBuffer);
  stats.bytesInUse -= e.bytes;
  stats.releases++;
  // Transferred elsewhere already (postMessage with a transfer list): nothing left to cache.
  if (buf.byteLength !== e.bytes) return true;
  // The transfer moves the backing store to a new ArrayBuffer without copying and detaches `buf`: every
  // typed array over it now has length 0.
  const moved = structuredClone(buf as ArrayBuffer, { transfer: [buf as ArrayBuffer] });
  if (stats.bytesCached + e.bytes > cacheLimit) evict(stats.bytesCached + e.bytes - cacheLimit);
  if (e.bytes > cacheLimit) return true; // larger than the whole cache: let the collector have it
  let bucket = cache.get(e.bytes);
  if (!bucket) cache.set(e.bytes, (bucket = []));
  bucket.push(moved);
  stats.bytesCached += e.bytes;
  return true;
}

/** Drops cached buffers, oldest size class first, until `bytes` are gone (or the cache is empty). */
function evict(bytes: number): void {
  for (const [size, bucket] of cache) {
    while (bucket.length && bytes > 0) {
      bucket.shift();
      stats.bytesCached -= size;
      bytes -= size;
    }
    if (!bucket.length) cache.delete(size);
    if (bytes <= 0) return;
  }
}

/** Hands every cached buffer to the garbage collector (PyTorch's `torch.cuda.empty_cache()` for the host). */
export function emptyCache(): void {
  cache.clear();
  stats.bytesCached = 0;
}

/** Sets the most bytes the cache keeps (0 turns caching off); returns the previous limit. */
export function setCacheLimit(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new RangeError(`cache limit must be a non-negative integer (got ${bytes})`);
  const prev = cacheLimit;
  cacheLimit = bytes;
  if (stats.bytesCached > bytes) evict(stats.bytesCached - bytes);
  return prev;
}

export function memoryStats(): MemoryStats {
  return { ...stats, cacheLimitBytes: cacheLimit };
}

/** Starts the peak over from the bytes in use now. */
export function resetPeakMemoryStats(): void {
  stats.peakBytesInUse = stats.bytesInUse;
}
