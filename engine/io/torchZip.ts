/**
 * torch.save's zip format (PyTorch ≥ 1.6): `<folder>/data.pkl` (the object, with storages as
 * persistent ids), `<folder>/data/<key>` (raw storage bytes), `<folder>/version`, and since 2.x
 * `<folder>/byteorder`. Reading builds lazy TensorRefs over the stored entries; writing lays the
 * archive out like torch.save does (protocol-2 pickle, 64-byte aligned stored entries).
 */
import type { ByteSink, ByteSource } from './byteSource.js';
import { TorchZipError, typed } from './errors.js';
import { checkExpansion, DEFAULT_BUDGETS, type Meter } from './budgets.js';
import { Pickler, type WritableValue, type PickledTensor } from './pickler.js';
import { PyStorageType, PyTuple, type PyValue } from './pyobjects.js';
import { contiguousStrides, StorageRef, TensorRef, isSupportedDtype } from './tensorRef.js';
import { unpickle } from './unpickler.js';
import { readEntry, readZipDirectory, type ZipEntry } from './zipReader.js';
import { ZipWriter } from './zipWriter.js';
import { Tensor } from '../tensor/tensor.js';
import { itemSize, type DType } from '../tensor/dtype.js';

export interface TorchZipContents {
  root: PyValue;
  archiveName: string;
  version: string | null;
  byteorder: 'little' | 'big';
  records: string[];
  placeholders: string[];
  storages: Map<string, StorageRef>;
}

export interface ReadOptions {
  placeholders?: boolean;
  meter?: Meter;
}

const MAX_PICKLE_BYTES = 1 << 30;

export function readTorchZip(src: ByteSource, opts: ReadOptions = {}): TorchZipContents {
  return typed(
    () => readInner(src, opts),
    (m) => new TorchZipError(m),
  );
}

function readInner(src: ByteSource, opts: ReadOptions): TorchZipContents {
  const dir = readZipDirectory(src);
  const names = [...dir.entries.keys()];
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) {
    if (names.some((n) => n.endsWith('/constants.pkl'))) {
      throw new TorchZipError(`${src.name} is a TorchScript archive without data.pkl`);
    }
    throw new TorchZipError(`${src.name} is a zip archive but not a torch.save file (no <folder>/data.pkl)`);
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const text = (name: string): string | null => {
    const e = dir.entries.get(prefix + name);
    if (!e) return null;
    if (e.size > 4096) throw new TorchZipError(`${prefix + name} is unexpectedly large`);
    return new TextDecoder().decode(readEntry(src, e)).trim();
  };
  const version = text('version') ?? text('.data/version');
  const bo = text('byteorder') ?? 'little';
  if (bo !== 'little' && bo !== 'big') throw new TorchZipError(`unknown byteorder '${bo}'`);
  const pe = dir.entries.get(pkl)!;
  if (pe.size > MAX_PICKLE_BYTES) throw new TorchZipError(`data.pkl is ${pe.size} bytes (limit ${MAX_PICKLE_BYTES})`);
  const pickle = readEntry(src, pe, opts.meter);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      throw new TorchZipError('persistent id is not a torch storage reference');
    }
    const [, type, key, location, numelV] = pid.items;
    if (!(type instanceof PyStorageType)) throw new TorchZipError('storage type is not a torch storage class');
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) throw new TorchZipError('invalid storage key');
    if (typeof numelV !== 'number' || !Number.isSafeInteger(numelV) || numelV < 0) {
      throw new TorchZipError(`storage ${key} has an invalid element count`);
    }
    const existing = storages.get(key);
    if (existing) {
      if (existing.dtype !== type.dtype) throw new TorchZipError(`storage ${key} is used with two different dtypes`);
      return existing;
    }
    const entry: ZipEntry | undefined = dir.entries.get(`${prefix}data/${key}`);
    if (!entry) throw new TorchZipError(`storage ${key} has no record ${prefix}data/${key}`);
    // The local header is read on first access, so a header-only inspect touches no storage record.
    if (isSupportedDtype(type.dtype)) {
      const need = numelV * itemSize(type.dtype);
      if (need > entry.size) {
        throw new TorchZipError(
          `storage ${key} declares ${numelV} elements (${need} bytes) but its record holds ${entry.size}`,
        );
      }
    }
    const nbytes = isSupportedDtype(type.dtype) ? numelV * itemSize(type.dtype) : entry.size;
    const ref = new StorageRef(
      key,
      type.dtype,
      numelV,
      typeof location === 'string' ? location : 'cpu',
      () => readEntry(src, entry, opts.meter, nbytes).subarray(0, nbytes),
      bo === 'big',
    );
    ref.meter = opts.meter ?? null;
    storages.set(key, ref);
    return ref;
  };
  const r = unpickle(pickle, 0, { placeholders: opts.placeholders, persistentLoad, meter: opts.meter });
  return {
    root: r.value,
    archiveName: prefix.slice(0, -1),
    version,
    byteorder: bo,
    records: names,
    placeholders: r.placeholders,
    storages,
  };
}

const STORAGE_TYPE: Record<DType, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

export interface WriteTorchOptions {
  /** Top-level folder inside the zip (torch uses 'archive'). */
  archiveName?: string;
  forceZip64?: boolean;
  /**
   * Size of the file this one is made from: the write is refused (BudgetError, nothing written) when
   * its storages and pickle would exceed maxExpansion × this (plus EXPANSION_SLACK).
   */
  inputBytes?: number;
  maxExpansion?: number;
}

/** One id per ArrayBuffer, so views of the same bytes are recognised as one storage. */
const bufferIds = new WeakMap<ArrayBufferLike, number>();
let nextBufferId = 0;
function bufferId(b: ArrayBufferLike): number {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return id;
}

/**
 * Writes `root` (a tree of PyValues, engine Tensors and TensorRefs) as a torch.save zip. Tensors from
 * a loaded file keep their shared storages and views; engine tensors get one storage each.
 */
export function writeTorchZip(sink: ByteSink, root: WritableValue, opts: WriteTorchOptions = {}): void {
  const storages = new Map<string, () => Uint8Array>();
  const byArray = new Map<unknown, string>();
  let storageBytes = 0;
  const hook = (t: Tensor | TensorRef): PickledTensor => {
    if (t instanceof Tensor && t.isUninitialized()) {
      // Lazy modules' placeholders have no shape yet; PyTorch refuses to pickle them too.
      throw new TorchZipError('cannot save an uninitialized parameter (run a forward pass of the lazy module first)');
    }
    const dtype = t instanceof Tensor ? t.dtype : t.storage.dtype;
    if (!isSupportedDtype(dtype)) throw new TorchZipError(`cannot save a tensor of dtype ${dtype}`);
    // Each storage is written once (torch.save does the same): a loaded view keeps its storage and
    // offset/strides, and engine tensors over the same bytes (a state dict materialised from one
    // storage referenced 20,000 times) share one record instead of 20,000 copies.
    let identity: unknown = t instanceof Tensor ? null : t.storage;
    if (t instanceof Tensor) {
      const d = t.hostView();
      identity = `${bufferId(d.buffer)}:${d.byteOffset}:${d.byteLength}:${dtype}`;
    }
    let key = byArray.get(identity);
    if (key === undefined) {
      key = String(storages.size);
      byArray.set(identity, key);
      storageBytes += t instanceof Tensor ? t.numel() * itemSize(dtype) : t.storage.nbytes;
      if (t instanceof Tensor) {
        const d = t.hostView();
        storages.set(key, () => new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      } else {
        const s = t.storage;
        storages.set(key, () => {
          const a = s.array(false);
          return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        });
      }
    }
    if (t instanceof Tensor) {
      return {
        storageKey: key,
        storageType: STORAGE_TYPE[dtype],
        storageNumel: t.numel(),
        offset: 0,
        shape: t.shape,
        stride: contiguousStrides(t.shape),
      };
    }
    return {
      storageKey: key,
      storageType: STORAGE_TYPE[dtype],
      storageNumel: t.storage.numel,
      offset: t.storageOffset,
      shape: t.shape,
      stride: t.stride,
    };
  };
  const pickle = new Pickler(hook).dump(root);
  checkExpansion(storageBytes + pickle.length, opts.inputBytes, opts.maxExpansion ?? DEFAULT_BUDGETS.maxExpansion);
  const folder = opts.archiveName ?? 'archive';
  if (!/^[\w.-]+$/.test(folder)) throw new TorchZipError(`invalid archive folder name '${folder}'`);
  const zip = new ZipWriter(sink, opts.forceZip64);
  zip.add(`${folder}/data.pkl`, pickle);
  zip.add(`${folder}/byteorder`, new TextEncoder().encode('little'));
  for (const [key, bytes] of storages) zip.add(`${folder}/data/${key}`, bytes());
  zip.add(`${folder}/version`, new TextEncoder().encode('3\n'));
  zip.finish();
}
