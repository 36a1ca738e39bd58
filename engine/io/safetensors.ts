/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the data.
 * Also the sharded form: `model.safetensors.index.json` with a `weight_map` from tensor name to shard file.
 * NormScope keeps a state dict's `_metadata` versions in `__metadata__["normscope.metadata"]` (JSON), so
 * a torch → safetensors → torch round trip keeps them.
 */
import type { ByteSink, ByteSource } from './byteSource.js';
import { SafetensorsError, typed } from './errors.js';
import { BudgetError, checkExpansion, DEFAULT_BUDGETS, Meter } from './budgets.js';
import { jsonDepth } from './tree.js';
import { StorageRef, TensorRef, contiguousStrides } from './tensorRef.js';
import { Tensor, shapeNumel } from '../tensor/tensor.js';
import { itemSize, type DType } from '../tensor/dtype.js';
import type { LocalMetadata } from '../nn/stateDict.js';

const CODES: Record<string, DType> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I8: 'int8',
  U8: 'uint8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  BOOL: 'bool',
};
const CODE_OF = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k])) as Record<DType, string>;

export const METADATA_KEY = 'normscope.metadata';
const MAX_HEADER = 100 * 1024 * 1024;

export interface SafetensorsContents {
  tensors: Map<string, TensorRef>;
  metadata: Record<string, string> | null;
}

export function looksSafetensors(head: Uint8Array, fileSize: number): boolean {
  if (head.length < 9) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(fileSize - 8) && head[8] === 0x7b;
}

export function readSafetensors(src: ByteSource, meter: Meter = new Meter()): SafetensorsContents {
  return typed(
    () => readInner(src, meter),
    (m) => new SafetensorsError(m),
  );
}

function readInner(src: ByteSource, meter: Meter): SafetensorsContents {
  if (src.size < 8) throw new SafetensorsError(`${src.name} is too small for safetensors`);
  const h8 = src.read(0, 8);
  const n = new DataView(h8.buffer, h8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, src.size - 8))) {
    throw new SafetensorsError(`header length ${n} exceeds the file size or the ${MAX_HEADER}-byte limit`);
  }
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(src.read(8, headerLen)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new SafetensorsError('header is not an object');
  const dataStart = 8 + headerLen;
  const dataSize = src.size - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors = new Map<string, TensorRef>();
  const spans: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null) throw new SafetensorsError('__metadata__ is not an object');
      metadata = {};
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof t.dtype === 'string' ? CODES[t.dtype] : undefined;
    if (!dtype) throw new SafetensorsError(`tensor ${name}: unsupported dtype ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || t.shape.length > 64 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor ${name}: invalid shape`);
    }
    const offs = t.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      offs[0] > offs[1]
    ) {
      throw new SafetensorsError(`tensor ${name}: invalid data_offsets`);
    }
    const shape = t.shape as number[];
    const [b, e] = offs as [number, number];
    const numel = shapeNumel(shape);
    if (!Number.isSafeInteger(numel) || numel * itemSize(dtype) !== e - b) {
      throw new SafetensorsError(`tensor ${name}: ${e - b} bytes do not hold shape [${shape.join(', ')}] of ${dtype}`);
    }
    if (e > dataSize)
      throw new SafetensorsError(`tensor ${name}: data_offsets [${b}, ${e}] lie outside the data (${dataSize} bytes)`);
    const storage = new StorageRef(name, dtype, numel, 'cpu', () => src.read(dataStart + b, e - b));
    storage.meter = meter;
    tensors.set(name, new TensorRef(storage, 0, shape, contiguousStrides(shape)));
    spans.push([b, e, name]);
  }
  checkSpans(spans, dataSize);
  return { tensors, metadata };
}

/**
 * The safetensors library's rule (Metadata::validate): sorted by offset, each tensor starts where the
 * previous one ended (InvalidOffset otherwise: overlapping or gapped data), and together they cover
 * the data exactly (MetadataIncompleteBuffer otherwise). Overlaps would let one hostile byte range
 * stand for many tensors.
 */
function checkSpans(spans: [number, number, string][], dataSize: number): void {
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let start = 0;
  for (const [b, e, name] of spans) {
    if (b !== start) {
      throw new SafetensorsError(
        `invalid offset for tensor ${name}: data_offsets [${b}, ${e}] ${b < start ? 'overlap the previous tensor' : `leave a gap after byte ${start}`}`,
      );
    }
    start = e;
  }
  if (start !== dataSize) {
    throw new SafetensorsError(
      `the data offsets cover ${start} bytes but the data part of the file holds ${dataSize} (incomplete metadata)`,
    );
  }
}

/** Decodes NormScope's per-prefix versions from `__metadata__`, when present. */
export function stateMetadataFrom(
  meta: Record<string, string> | null,
  meter: Meter = new Meter(),
): Map<string, LocalMetadata> | null {
  const raw = meta?.[METADATA_KEY];
  if (!raw) return null;
  try {
    const obj = JSON.parse(raw) as Record<string, LocalMetadata>;
    if (typeof obj !== 'object' || obj === null) return null;
    // Deeply nested JSON would overflow the stack of whatever stringifies it later.
    meter.checkDepth(jsonDepth(obj), `${METADATA_KEY}`);
    return new Map(Object.entries(obj).filter(([, v]) => typeof v === 'object' && v !== null));
  } catch (e) {
    if (e instanceof BudgetError) throw e;
    return null;
  }
}

export function writeSafetensors(
  sink: ByteSink,
  tensors: Iterable<readonly [string, Tensor | TensorRef]>,
  metadata: Record<string, string> | null = null,
  expansion: { inputBytes?: number; maxExpansion?: number } = {},
): void {
  const entries: [string, Tensor | TensorRef][] = [...tensors].map(([k, v]) => [k, v]);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (t instanceof Tensor && t.isUninitialized()) {
      throw new SafetensorsError(
        `tensor ${name} is an uninitialized parameter (run a forward pass of the lazy module first)`,
      );
    }
    const dtype = t.dtype as DType;
    if (!CODE_OF[dtype]) throw new SafetensorsError(`tensor ${name}: dtype ${dtype} cannot be stored in safetensors`);
    const nbytes = shapeNumel(t.shape) * itemSize(dtype);
    header[name] = { dtype: CODE_OF[dtype], shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  // safetensors has no views: every tensor is written out in full, so an expanded or many-times
  // referenced view is checked against the expansion budget before a byte is written.
  checkExpansion(offset, expansion.inputBytes, expansion.maxExpansion ?? DEFAULT_BUDGETS.maxExpansion);
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const h8 = new Uint8Array(8);
  new DataView(h8.buffer).setBigUint64(0, BigInt(json.length), true);
  sink.write(h8);
  sink.write(json);
  for (const [, t] of entries) {
    const tensor = t instanceof Tensor ? t : t.materialize({ cache: false });
    const d = tensor.hostView();
    sink.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
}

export interface ShardIndex {
  metadata: Record<string, unknown> | null;
  /** tensor name → shard file name (relative to the index file's folder) */
  weightMap: Map<string, string>;
}

export function looksShardIndex(head: Uint8Array): boolean {
  const s = new TextDecoder().decode(head.subarray(0, 4096));
  return /^\s*\{/.test(s) && s.includes('"weight_map"');
}

export function parseShardIndex(text: string): ShardIndex {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`index is not valid JSON: ${(e as Error).message}`);
  }
  const wm = (obj as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null) throw new SafetensorsError('index has no weight_map');
  const weightMap = new Map<string, string>();
  for (const [k, v] of Object.entries(wm)) {
    // Shard names must be plain file names next to the index: no folders, no '..'.
    if (typeof v !== 'string' || !/^[\w.-]+$/.test(v) || v === '.' || v === '..') {
      throw new SafetensorsError(`weight_map entry ${k} names an invalid shard file`);
    }
    weightMap.set(k, v);
  }
  const md = (obj as { metadata?: unknown }).metadata;
  return { metadata: typeof md === 'object' && md !== null ? (md as Record<string, unknown>) : null, weightMap };
}
