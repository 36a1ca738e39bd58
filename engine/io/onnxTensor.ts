/**
 * ONNX TensorProto → engine Tensor: dtype mapping, dims checked against the budgets, data from
 * raw_data, the typed repeated fields (float_data, int32_data, int64_data, double_data, uint64_data)
 * or external data. The element count the dims declare must equal what the bytes hold: a file cannot
 * make the reader allocate more than it carries.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, itemSize, type DType } from '../tensor/dtype.js';
import { typedView } from './tensorRef.js';
import { OnnxError, type OnnxBudgets } from './onnxError.js';

/** onnx.TensorProto.DataType values the engine holds, and their names for messages. */
const ONNX_DTYPES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};
const ONNX_DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};

/** The engine dtype of an ONNX elem_type, or its ONNX name (lower case) when the engine has none. */
export function onnxDtypeName(code: number): string {
  return ONNX_DTYPES[code] ?? (ONNX_DTYPE_NAMES[code] ?? `type ${code}`).toLowerCase();
}

export function onnxDtype(code: number, what: string): DType {
  const dt = ONNX_DTYPES[code];
  if (!dt) throw new OnnxError(`${what}: data type ${ONNX_DTYPE_NAMES[code] ?? code} is not supported`);
  return dt;
}

/** protobufjs gives int64 fields as numbers or Long objects; both become numbers (exact below 2^53). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    const hi = l.unsigned ? l.high >>> 0 : l.high;
    return hi * 4294967296 + (l.low >>> 0);
  }
  return Number(v ?? 0);
}

/** Dims checked for rank, sign and element count against the budgets; returns [shape, numel]. */
export function checkedDims(dims: unknown[], what: string, budgets: OnnxBudgets): [number[], number] {
  if (dims.length > budgets.maxRank) {
    throw new OnnxError(`${what}: ${dims.length} dimensions, over the maxRank budget (${budgets.maxRank})`);
  }
  const shape = dims.map(num);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new OnnxError(`${what}: invalid dimension ${d} in [${shape.join(', ')}]`);
    n *= d;
    if (n > budgets.maxTensorNumel) {
      throw new OnnxError(
        `${what}: dims [${shape.join(', ')}] declare more elements than the maxTensorNumel budget (${budgets.maxTensorNumel})`,
      );
    }
  }
  return [shape, n];
}

/** Reads `length` bytes of external data for a tensor (onnx.ts resolves the file). */
export type ExternalReader = (location: string, offset: number, length: number | null, tensor: string) => Uint8Array;

/** The decoded TensorProto fields the converter reads (protobufjs message). */
export interface TensorProtoLike {
  name?: string;
  dims?: unknown[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: unknown[];
  double_data?: number[];
  uint64_data?: unknown[];
  string_data?: unknown[];
  segment?: unknown;
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}

export function tensorFromProto(
  t: TensorProtoLike,
  what: string,
  budgets: OnnxBudgets,
  external: ExternalReader | null,
): Tensor {
  const name = t.name || what;
  const label = `tensor '${name}'`;
  if (t.segment) throw new OnnxError(`${label}: segmented tensors are not supported`);
  const dtype = onnxDtype(t.data_type ?? 0, label);
  const [shape, numel] = checkedDims(t.dims ?? [], label, budgets);
  const size = itemSize(dtype);
  const byteLength = numel * size;
  if (t.data_location === 1) {
    if (!external) throw new OnnxError(`${label}: external data needs the model's file (load it from a path)`);
    const kv = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location');
    if (!location) throw new OnnxError(`${label}: external data without a location`);
    const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
    const length = kv.has('length') ? Number(kv.get('length')) : null;
    if (
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      (length !== null && (!Number.isSafeInteger(length) || length < 0))
    ) {
      throw new OnnxError(`${label}: invalid external data offset/length (${kv.get('offset')}, ${kv.get('length')})`);
    }
    if (length !== null && length !== byteLength) {
      throw new OnnxError(
        `${label}: external data length ${length} does not match dims [${shape.join(', ')}] (${byteLength} bytes)`,
      );
    }
    return fromBytes(external(location, offset, byteLength, name), dtype, shape, numel);
  }
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    if (raw.length !== byteLength) {
      throw new OnnxError(
        `${label}: raw_data holds ${raw.length} bytes but dims [${shape.join(', ')}] of ${dtype} need ${byteLength}`,
      );
    }
    return fromBytes(raw, dtype, shape, numel);
  }
  const [field, values] = typedField(t, dtype);
  if (values.length !== numel) {
    throw new OnnxError(
      `${label}: ${field} holds ${values.length} values but dims [${shape.join(', ')}] declare ${numel}`,
    );
  }
  const out = allocate(dtype, numel);
  if (out instanceof BigInt64Array) for (let i = 0; i < numel; i++) out[i] = BigInt(Math.trunc(num(values[i])));
  else for (let i = 0; i < numel; i++) out[i] = num(values[i]);
  return new Tensor(out, shape, dtype);
}

/** The repeated field ONNX stores `dtype` in (float16/bfloat16 as bit patterns in int32_data). */
function typedField(t: TensorProtoLike, dtype: DType): [string, unknown[]] {
  switch (dtype) {
    case 'float32':
      return ['float_data', t.float_data ?? []];
    case 'float64':
      return ['double_data', t.double_data ?? []];
    case 'int64':
      return ['int64_data', t.int64_data ?? []];
    default:
      return ['int32_data', t.int32_data ?? []];
  }
}

/** A fresh, aligned copy of little-endian bytes as a tensor (the protobuf buffer is not kept alive). */
function fromBytes(bytes: Uint8Array, dtype: DType, shape: number[], numel: number): Tensor {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Tensor(typedView(dtype, copy, numel), shape, dtype);
}
