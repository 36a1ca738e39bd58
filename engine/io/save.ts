/**
 * saveTorch / saveSafetensors: atomic writes of state dicts or whole checkpoint trees. What saveTorch
 * writes loads with `torch.load(path, weights_only=True)` and `load_state_dict(strict=True)`, with the
 * `_metadata` versions intact; an existing file is only replaced with `overwrite: true`.
 */
import { memorySink, type ByteSink } from './byteSource.js';
import { crc32Native } from './nodeCrc.js';
import { CheckpointError } from './errors.js';
import { checkExpansion, DEFAULT_BUDGETS } from './budgets.js';
import {
  basename,
  dirname,
  fileExists,
  joinPath,
  removeFile,
  writeFileAtomic,
  type WriteOptions,
} from './fileAdapter.js';
import { itemSize, type DType } from '../tensor/dtype.js';
import type { WritableValue } from './pickler.js';
import { PyDict, type PyValue } from './pyobjects.js';
import { METADATA_KEY, writeSafetensors } from './safetensors.js';
import type { TensorRef } from './tensorRef.js';
import { writeTorchZip, type WriteTorchOptions } from './torchZip.js';
import { stateDictToPy } from './tree.js';
import { StateDict, type LocalMetadata } from '../nn/stateDict.js';
import type { Tensor } from '../tensor/tensor.js';

crc32Native();

export type SaveOptions = WriteOptions & WriteTorchOptions;

type TensorMap = Map<string, Tensor | TensorRef> & { metadata?: Map<string, LocalMetadata> | null };

function toWritable(value: StateDict | TensorMap | WritableValue): WritableValue {
  if (value instanceof Map && !(value instanceof PyDict)) return stateDictToPy(value as TensorMap);
  return value as WritableValue;
}

/** torch.save-compatible bytes in memory. */
export function torchBytes(value: StateDict | TensorMap | WritableValue, opts: WriteTorchOptions = {}): Uint8Array {
  const sink = memorySink();
  writeTorchZip(sink, toWritable(value), opts);
  return sink.bytes();
}

export function saveTorch(file: string, value: StateDict | TensorMap | WritableValue, opts: SaveOptions = {}): void {
  const root = toWritable(value);
  writeFileAtomic(file, (sink: ByteSink) => writeTorchZip(sink, root, opts), opts);
}

function safetensorsMeta(sd: TensorMap, extra: Record<string, string> | null): Record<string, string> | null {
  const meta: Record<string, string> = { ...(extra ?? {}) };
  if (sd.metadata && sd.metadata.size) meta[METADATA_KEY] = JSON.stringify(Object.fromEntries(sd.metadata));
  return Object.keys(meta).length ? meta : null;
}

export function safetensorsBytes(sd: TensorMap, metadata: Record<string, string> | null = null): Uint8Array {
  const sink = memorySink();
  writeSafetensors(sink, sd, safetensorsMeta(sd, metadata));
  return sink.bytes();
}

/** Expansion budget of a write: the input's size and the ratio its output may reach (budgets.ts). */
export interface ExpansionOptions {
  inputBytes?: number;
  maxExpansion?: number;
}

export function saveSafetensors(
  file: string,
  sd: TensorMap,
  opts: WriteOptions & ExpansionOptions & { metadata?: Record<string, string> | null } = {},
): void {
  if (!(sd instanceof Map)) throw new CheckpointError('saveSafetensors needs a state dict (a flat map of tensors)');
  writeFileAtomic(file, (sink) => writeSafetensors(sink, sd, safetensorsMeta(sd, opts.metadata ?? null), opts), opts);
}

export type { PyValue };

export interface ShardOptions extends WriteOptions, ExpansionOptions {
  /** Largest shard in bytes (tensors are never split; a bigger tensor gets a shard of its own). */
  maxShardBytes?: number;
  metadata?: Record<string, string> | null;
}

/**
 * Writes a sharded safetensors checkpoint: `<stem>-0000k-of-0000n.safetensors` files next to `indexFile`
 * (e.g. `model.safetensors.index.json`) and the index with `metadata.total_size` and `weight_map`,
 * the layout Hugging Face tools read. Returns the shard file names.
 */
export function saveSafetensorsSharded(indexFile: string, sd: TensorMap, opts: ShardOptions = {}): string[] {
  const limit = opts.maxShardBytes ?? 5 * 1024 ** 3;
  const shards: [string, Tensor | TensorRef][][] = [[]];
  let size = 0;
  let total = 0;
  for (const [k, t] of sd) {
    const bytes = t.numel() * itemSize(t.dtype as DType);
    if (size > 0 && size + bytes > limit) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push([k, t]);
    size += bytes;
    total += bytes;
  }
  // The shards together are the output: checked as one before any is written.
  checkExpansion(total, opts.inputBytes, opts.maxExpansion ?? DEFAULT_BUDGETS.maxExpansion);
  const base = basename(indexFile).replace(/\.safetensors\.index\.json$|\.index\.json$|\.json$/, '');
  const n = shards.length;
  const names = shards.map(
    (_, i) => `${base}-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`,
  );
  const weightMap: Record<string, string> = {};
  // A failure part-way (a full disk, say) removes the shards this call created, so no half set is
  // left behind; shards that existed before (overwrite) were each replaced atomically or not at all.
  const created: string[] = [];
  try {
    shards.forEach((entries, i) => {
      const shard = Object.assign(new Map(entries), { metadata: sd.metadata });
      const file = joinPath(dirname(indexFile), names[i]!);
      const existed = fileExists(file);
      saveSafetensors(file, shard, {
        overwrite: opts.overwrite,
        metadata: opts.metadata ?? null,
        maxTempBytes: opts.maxTempBytes,
      });
      if (!existed) created.push(file);
      for (const [k] of entries) weightMap[k] = names[i]!;
    });
    const index = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2);
    writeFileAtomic(indexFile, (sink) => sink.write(new TextEncoder().encode(index)), opts);
  } catch (e) {
    for (const f of created) removeFile(f);
    throw e;
  }
  return names;
}
