/**
 * loadCheckpoint: detects the format from the bytes (never the extension), reads it safely and
 * returns a Checkpoint — the object tree with lazy tensors, the state dicts found inside, warnings.
 * Tensors are read only when materialized, so inspecting a header costs the header.
 */
import { MemorySource, type ByteSource } from './byteSource.js';
import { CheckpointError } from './errors.js';
import { Meter, type Budgets } from './budgets.js';
import { openFile, readTextFile, dirname, joinPath, type OpenOptions } from './fileAdapter.js';
import { readLegacy, looksLegacy, looksLegacyBadMagic, INVALID_MAGIC } from './legacy.js';
import { LegacyTorchError } from './errors.js';
import { PyDict, type PyValue } from './pyobjects.js';
import {
  looksSafetensors,
  looksShardIndex,
  parseShardIndex,
  readSafetensors,
  stateMetadataFrom,
} from './safetensors.js';
import type { TensorRef } from './tensorRef.js';
import { readTorchZip } from './torchZip.js';
import { findStateDicts, stateDictToPy, toStateDict, walkTensors, type FoundStateDict } from './tree.js';
import { unpickle } from './unpickler.js';
import { scanPickle } from './pickleScan.js';
import type { StateDict } from '../nn/stateDict.js';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors' | 'safetensors-sharded' | 'pickle';

export interface LoadOptions extends OpenOptions {
  /** Keep objects of unknown classes as inert placeholders instead of refusing the file. */
  placeholders?: boolean;
  /** Budgets over the defaults (budgets.ts); each BudgetError names the option that raises it. */
  budgets?: Partial<Budgets>;
  /** Share one meter across several loads (diff's two files); made from `budgets` when absent. */
  meter?: Meter;
}

export class Checkpoint {
  constructor(
    readonly format: CheckpointFormat,
    readonly root: PyValue,
    readonly warnings: string[],
    /** Globals kept as placeholders (only with `placeholders: true`). */
    readonly placeholders: string[],
    private readonly sources: ByteSource[],
    /** safetensors `__metadata__` (of the first shard), when present. */
    readonly fileMetadata: Record<string, string> | null = null,
    /** The budgets this load was read under; walks and copies made later charge it too. */
    readonly meter: Meter = new Meter(),
    /** Bytes of the file(s) read: the base of the writers' expansion budget. */
    readonly inputBytes = 0,
  ) {}

  private walked: { key: string; ref: TensorRef }[] | null = null;
  private foundDicts: FoundStateDict[] | null = null;

  /** Every tensor in the file with its full dotted key from the root (computed once). */
  tensors(): { key: string; ref: TensorRef }[] {
    this.walked ??= [...walkTensors(this.root, this.meter)];
    return [...this.walked];
  }

  /** Every state dict found in the tree, the most likely model weights first (computed once). */
  stateDicts(): FoundStateDict[] {
    this.foundDicts ??= findStateDicts(this.root, this.meter);
    return [...this.foundDicts];
  }

  /** The state dict at `path` (default: the first found), materialized. */
  stateDict(path?: string): StateDict {
    return toStateDict(this.found(path));
  }

  found(path?: string): FoundStateDict {
    const all = this.stateDicts();
    const f = path === undefined ? all[0] : all.find((s) => s.path === path);
    if (!f) {
      throw new CheckpointError(
        path === undefined
          ? 'no state dict found in this checkpoint'
          : `no state dict at '${path}' (found: ${all.map((s) => s.path || '<root>').join(', ')})`,
      );
    }
    return f;
  }

  close(): void {
    for (const s of this.sources) s.close();
  }
}

const head = (src: ByteSource, n = 4096) => src.read(0, Math.min(n, src.size));

export function detectFormat(src: ByteSource): CheckpointFormat | 'safetensors-index' {
  const h = head(src);
  if (h.length >= 4 && h[0] === 0x50 && h[1] === 0x4b && (h[2] === 3 || h[2] === 5) && (h[3] === 4 || h[3] === 6)) {
    return 'torch-zip';
  }
  if (h.length >= 2 && h[0] === 0x80 && h[1]! <= 5) {
    if (looksLegacy(h)) return 'torch-legacy';
    if (looksLegacyBadMagic(h, src.size)) throw new LegacyTorchError(`${src.name}: ${INVALID_MAGIC}`);
    return 'pickle';
  }
  if (looksSafetensors(h, src.size)) return 'safetensors';
  if (looksShardIndex(h)) return 'safetensors-index';
  if (src.size > 262 && new TextDecoder().decode(src.read(257, 5)) === 'ustar') {
    throw new CheckpointError(`${src.name} is a tar archive (the pre-0.4 torch.save tar format is not supported)`);
  }
  if (looksLikePickle(src)) return 'pickle';
  throw new CheckpointError(
    `${src.name}: unrecognized format (not a torch.save zip, legacy torch file, pickle or safetensors)`,
  );
}

/** Protocol 0/1 pickles have no PROTO header: accept them when the opcodes parse up to STOP. */
function looksLikePickle(src: ByteSource): boolean {
  const window = Math.min(src.size, 1 << 20);
  try {
    scanPickle(src.read(0, window));
    return true;
  } catch (e) {
    return window < src.size && e instanceof Error && /past the end|without STOP/.test(e.message);
  }
}

/** Opens and parses a checkpoint file. */
export function loadCheckpoint(file: string, opts: LoadOptions = {}): Checkpoint {
  const src = openFile(file, opts);
  try {
    const fmt = detectFormat(src);
    if (fmt === 'safetensors-index') {
      src.close();
      return loadShards(file, opts);
    }
    return fromSource(src, fmt, opts);
  } catch (e) {
    src.close();
    throw e;
  }
}

/** Parses a checkpoint held in memory (browser uploads, tests). Sharded indexes need files. */
export function loadCheckpointBytes(bytes: Uint8Array, name = '<memory>', opts: LoadOptions = {}): Checkpoint {
  const src = new MemorySource(bytes, name);
  const fmt = detectFormat(src);
  if (fmt === 'safetensors-index')
    throw new CheckpointError('a sharded safetensors index needs its shard files on disk');
  return fromSource(src, fmt, opts);
}

function fromSource(src: ByteSource, fmt: CheckpointFormat, opts: LoadOptions): Checkpoint {
  const warnings: string[] = [];
  const meter = opts.meter ?? new Meter(opts.budgets);
  if (fmt === 'torch-zip') {
    const z = readTorchZip(src, { placeholders: opts.placeholders, meter });
    if (z.byteorder === 'big') warnings.push('big-endian file: values are byte-swapped on load');
    if (z.placeholders.length) warnings.push(`inert placeholders for: ${[...new Set(z.placeholders)].join(', ')}`);
    return new Checkpoint(fmt, z.root, warnings, z.placeholders, [src], null, meter, src.size);
  }
  if (fmt === 'torch-legacy') {
    const l = readLegacy(src, { placeholders: opts.placeholders, meter });
    warnings.push('legacy (pre-1.6) torch.save format');
    if (l.placeholders.length) warnings.push(`inert placeholders for: ${[...new Set(l.placeholders)].join(', ')}`);
    return new Checkpoint(fmt, l.root, warnings, l.placeholders, [src], null, meter, src.size);
  }
  if (fmt === 'pickle') {
    const r = unpickle(src.read(0, src.size), 0, { placeholders: opts.placeholders, meter });
    warnings.push('plain pickle without tensor storages');
    return new Checkpoint(fmt, r.value, warnings, r.placeholders, [src], null, meter, src.size);
  }
  const s = readSafetensors(src, meter);
  const root = stateDictToPy(Object.assign(s.tensors, { metadata: stateMetadataFrom(s.metadata, meter) }));
  return new Checkpoint(fmt, root, warnings, [], [src], s.metadata, meter, src.size);
}

function loadShards(indexFile: string, opts: LoadOptions): Checkpoint {
  const index = parseShardIndex(readTextFile(indexFile));
  const dir = dirname(indexFile);
  const shards = new Map<string, Map<string, TensorRef>>();
  const sources: ByteSource[] = [];
  const meter = opts.meter ?? new Meter(opts.budgets);
  let meta: Record<string, string> | null = null;
  try {
    for (const shard of new Set(index.weightMap.values())) {
      const src = openFile(joinPath(dir, shard), opts);
      sources.push(src);
      const s = readSafetensors(src, meter);
      meta ??= s.metadata;
      shards.set(shard, s.tensors);
    }
  } catch (e) {
    for (const s of sources) s.close();
    throw e;
  }
  const tensors = new Map<string, TensorRef>();
  for (const [key, shard] of index.weightMap) {
    const t = shards.get(shard)!.get(key);
    if (!t) throw new CheckpointError(`index maps ${key} to ${shard}, which does not contain it`);
    tensors.set(key, t);
  }
  const root: PyDict = stateDictToPy(Object.assign(tensors, { metadata: stateMetadataFrom(meta, meter) }));
  const inputBytes = sources.reduce((n, s) => n + s.size, 0);
  return new Checkpoint('safetensors-sharded', root, [`${shards.size} shards`], [], sources, meta, meter, inputBytes);
}
