/**
 * saveTorch / saveSafetensors: atomic writes of state dicts or whole checkpoint trees. What saveTorch
 * writes loads with `torch.load(path, weights_only=True)` and `load_state_dict(strict=True)`, with the
 * `_metadata` versions intact; an existing file is only replaced with `overwrite: true`.
 */
import { memorySink, type ByteSink } from './byteSource.js';
import { crc32Native } from './nodeCrc.js';
import { CheckpointError } from './errors.js';
import { writeFileAtomic, type WriteOptions } from './fileAdapter.js';
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

export function saveSafetensors(
  file: string,
  sd: TensorMap,
  opts: WriteOptions & { metadata?: Record<string, string> | null } = {},
): void {
  if (!(sd instanceof Map)) throw new CheckpointError('saveSafetensors needs a state dict (a flat map of tensors)');
  writeFileAtomic(file, (sink) => writeSafetensors(sink, sd, safetensorsMeta(sd, opts.metadata ?? null)), opts);
}

export type { PyValue };
