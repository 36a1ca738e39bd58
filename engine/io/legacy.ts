/**
 * The legacy torch.save stream (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`): five
 * things back to back — pickles of the magic number, the protocol version (1001) and sys info, the
 * object pickle (storages as persistent ids), a pickle of the storage keys — then for each key an
 * int64 element count and the raw little-endian storage bytes.
 */
import type { ByteSource } from './byteSource.js';
import { LegacyTorchError, typed } from './errors.js';
import type { Meter } from './budgets.js';
import { PyDict, PyStorageType, PyTuple, type PyValue } from './pyobjects.js';
import { isSupportedDtype, StorageRef } from './tensorRef.js';
import { unpickle } from './unpickler.js';
import { itemSize } from '../tensor/dtype.js';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
export const LEGACY_PROTOCOL = 1001;

export interface LegacyContents {
  root: PyValue;
  sysInfo: PyValue;
  placeholders: string[];
  storages: Map<string, StorageRef>;
}

/** torch.serialization's error text for a stream that does not start with the magic number. */
export const INVALID_MAGIC = 'Invalid magic number; corrupt file?';

interface LegacyOptions {
  placeholders?: boolean;
  meter?: Meter;
}

export function readLegacy(src: ByteSource, opts: LegacyOptions = {}): LegacyContents {
  return typed(
    () => readInner(src, opts),
    (m) => new LegacyTorchError(m),
  );
}

/** True when the bytes start with a pickle of the legacy magic number. */
export function looksLegacy(head: Uint8Array): boolean {
  try {
    return unpickle(head, 0, {}).value === LEGACY_MAGIC;
  } catch {
    return false;
  }
}

/**
 * True when the bytes look like a legacy stream whose magic number is wrong: a pickled integer
 * followed by more pickles (a plain pickle holds one object). torch.load refuses such a file with
 * INVALID_MAGIC instead of reading its first pickle as the checkpoint.
 */
export function looksLegacyBadMagic(head: Uint8Array, fileSize: number): boolean {
  try {
    const first = unpickle(head, 0, {});
    if (typeof first.value !== 'number' && typeof first.value !== 'bigint') return false;
    if (first.end >= fileSize) return false;
    return head[first.end] === 0x80; // the next pickle's PROTO
  } catch {
    return false;
  }
}

function readInner(src: ByteSource, opts: LegacyOptions): LegacyContents {
  // The pickles are small compared to the storages that follow; read a growing window until the
  // storage-key list is parsed, never more than the file.
  let windowLen = Math.min(src.size, 1 << 20);
  for (;;) {
    const bytes = src.read(0, windowLen);
    try {
      return parse(src, bytes, opts);
    } catch (e) {
      const truncated = e instanceof Error && /past the end|ended without STOP|unterminated/.test(e.message);
      if (!truncated || windowLen >= src.size) throw e;
      windowLen = Math.min(src.size, windowLen * 4);
    }
  }
}

function parse(src: ByteSource, bytes: Uint8Array, opts: LegacyOptions): LegacyContents {
  const magic = unpickle(bytes, 0);
  if (magic.value !== LEGACY_MAGIC) throw new LegacyTorchError(INVALID_MAGIC);
  const proto = unpickle(bytes, magic.end);
  if (proto.value !== LEGACY_PROTOCOL) throw new LegacyTorchError(`invalid protocol version ${String(proto.value)}`);
  const sys = unpickle(bytes, proto.end);

  interface Root {
    dtype: string;
    numel: number;
    location: string;
    dataStart: number;
  }
  const roots = new Map<string, Root>();
  const storages = new Map<string, StorageRef>();
  const bytesOf = (key: string): Uint8Array => {
    const r = roots.get(key)!;
    if (r.dataStart < 0) throw new LegacyTorchError(`storage ${key} has no data in the file`);
    return src.read(r.dataStart, r.numel * itemSize(r.dtype as never));
  };
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 6) {
      const kind = pid instanceof PyTuple ? String(pid.items[0]) : typeof pid;
      throw new LegacyTorchError(
        `unsupported persistent id '${kind}' (only storages are loaded; module sources are refused)`,
      );
    }
    const [, type, rootKey, location, numel, view] = pid.items;
    if (!(type instanceof PyStorageType)) throw new LegacyTorchError('storage type is not a torch storage class');
    if (typeof rootKey !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
      throw new LegacyTorchError('malformed storage reference');
    }
    if (!isSupportedDtype(type.dtype)) throw new LegacyTorchError(`storage dtype ${type.dtype} is not supported`);
    const isz = itemSize(type.dtype);
    if (numel * isz > src.size)
      throw new LegacyTorchError(`storage ${rootKey} declares ${numel} elements, more than the file holds`);
    let root = roots.get(rootKey);
    if (!root) {
      root = { dtype: type.dtype, numel, location: typeof location === 'string' ? location : 'cpu', dataStart: -1 };
      roots.set(rootKey, root);
      const ref = new StorageRef(rootKey, type.dtype, numel, root.location, () => bytesOf(rootKey));
      ref.meter = opts.meter ?? null;
      storages.set(rootKey, ref);
    } else if (root.dtype !== type.dtype) {
      throw new LegacyTorchError(`storage ${rootKey} is used with two different dtypes`);
    }
    if (view === null || view === undefined) return storages.get(rootKey)!;
    if (!(view instanceof PyTuple) || view.items.length !== 3) throw new LegacyTorchError('malformed storage view');
    const [viewKey, offset, size] = view.items;
    if (
      typeof viewKey !== 'string' ||
      typeof offset !== 'number' ||
      typeof size !== 'number' ||
      offset < 0 ||
      size < 0 ||
      offset + size > root.numel
    ) {
      throw new LegacyTorchError(`storage view outside its storage ${rootKey}`);
    }
    let v = storages.get(viewKey);
    if (!v) {
      v = new StorageRef(viewKey, type.dtype, size, root.location, () =>
        bytesOf(rootKey).subarray(offset * isz, (offset + size) * isz),
      );
      v.meter = opts.meter ?? null;
      storages.set(viewKey, v);
    }
    return v;
  };
  const obj = unpickle(bytes, sys.end, { placeholders: opts.placeholders, persistentLoad, meter: opts.meter });
  const keys = unpickle(bytes, obj.end);
  if (!Array.isArray(keys.value)) throw new LegacyTorchError('storage key list is not a list');
  let pos = keys.end;
  for (const k of keys.value) {
    if (typeof k !== 'string') throw new LegacyTorchError('storage key is not a string');
    const root = roots.get(k);
    if (!root) throw new LegacyTorchError(`storage ${k} is listed but never referenced`);
    const head = src.read(pos, 8);
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, true);
    if (n !== BigInt(root.numel))
      throw new LegacyTorchError(`storage ${k} holds ${n} elements, expected ${root.numel}`);
    root.dataStart = pos + 8;
    pos = root.dataStart + root.numel * itemSize(root.dtype as never);
    if (pos > src.size) throw new LegacyTorchError(`storage ${k} runs past the end of the file`);
  }
  const sysInfo = sys.value instanceof PyDict ? sys.value : null;
  return { root: obj.value, sysInfo, placeholders: obj.placeholders, storages };
}
