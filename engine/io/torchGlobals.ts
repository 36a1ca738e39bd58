/**
 * The allow-list: the only globals a checkpoint pickle may name, each interpreted by a pure data
 * constructor (no Python semantics, no code from the file). Anything else is refused by the
 * unpickler, or kept as an inert placeholder when the caller asks for that.
 */
import { CheckpointError } from './errors.js';
import { PyDevice, PyDict, PyDtype, PySet, PyStorageType, PyTuple, PyFloat, type PyValue } from './pyobjects.js';
import { StorageRef, TensorRef } from './tensorRef.js';

export type GlobalSpec = { kind: 'value'; value: PyValue } | { kind: 'callable'; call: (args: PyValue[]) => PyValue };

/** torch storage class name → element dtype (unsupported ones keep a torch-ish name). */
export const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
};

const DTYPE_NAMES: Record<string, string> = {
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
  complex64: 'complex64',
  complex128: 'complex128',
};

function int(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new CheckpointError(`${what} must be an integer`);
}

function intTuple(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new CheckpointError(`${what} must be a tuple of integers`);
  if (items.length > 64) throw new CheckpointError(`${what} has ${items.length} dimensions (at most 64)`);
  return items.map((x) => int(x, what));
}

function rebuildTensor(args: PyValue[], name: string): TensorRef {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof StorageRef)) throw new CheckpointError(`${name}: first argument is not a storage`);
  return new TensorRef(
    storage,
    int(offset ?? null, 'storage offset'),
    intTuple(size ?? null, 'size'),
    intTuple(stride ?? null, 'stride'),
    requiresGrad === true,
  );
}

function rebuildParameter(args: PyValue[]): TensorRef {
  const [data, requiresGrad] = args;
  if (!(data instanceof TensorRef)) throw new CheckpointError('_rebuild_parameter: data is not a tensor');
  return new TensorRef(data.storage, data.storageOffset, data.shape, data.stride, requiresGrad === true, true);
}

function iterable(v: PyValue | undefined): PyValue[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  if (v instanceof PyDict) return [...v.entries.keys()];
  if (v instanceof Uint8Array) return [...v];
  if (typeof v === 'string') return [...v];
  throw new CheckpointError('argument is not iterable');
}

function makeDict(kind: 'dict' | 'OrderedDict', args: PyValue[]): PyDict {
  const d = new PyDict(kind);
  const src = args[0];
  if (src instanceof PyDict) for (const [k, v] of src.entries) d.set(k, v);
  else
    for (const pair of iterable(src)) {
      const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
      if (!kv || kv.length !== 2) throw new CheckpointError(`${kind}() items must be pairs`);
      d.set(kv[0]!, kv[1]!);
    }
  return d;
}

const CALLABLES: Record<string, (args: PyValue[]) => PyValue> = {
  'collections.OrderedDict': (a) => makeDict('OrderedDict', a),
  'torch._utils._rebuild_tensor_v2': (a) => rebuildTensor(a, '_rebuild_tensor_v2'),
  'torch._utils._rebuild_tensor': (a) => rebuildTensor(a, '_rebuild_tensor'),
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'torch.nn.parameter.Parameter': rebuildParameter,
  'torch.Size': (a) => new PyTuple(intTuple(a[0] ?? new PyTuple([]), 'torch.Size')),
  'torch.device': (a) => {
    if (typeof a[0] !== 'string') throw new CheckpointError('torch.device expects a string');
    return new PyDevice(a.length > 1 && a[1] !== null ? `${a[0]}:${int(a[1]!, 'device index')}` : a[0]);
  },
  'builtins.set': (a) => new PySet(iterable(a[0])),
  'builtins.frozenset': (a) => new PySet(iterable(a[0]), true),
  'builtins.list': (a) => [...iterable(a[0])],
  'builtins.tuple': (a) => new PyTuple([...iterable(a[0])]),
  'builtins.dict': (a) => makeDict('dict', a),
  // Nothing here mutates a value, so bytearray(b) shares b's bytes: 200 "copies" cost nothing.
  'builtins.bytearray': (a) =>
    a[0] instanceof Uint8Array ? a[0] : new Uint8Array(iterable(a[0]).map((x) => int(x, 'byte'))),
  'builtins.float': (a) => {
    const v = typeof a[0] === 'string' ? Number(a[0]) : typeof a[0] === 'number' ? a[0] : NaN;
    return Number.isInteger(v) ? new PyFloat(v) : v;
  },
  // Python 2 / protocol-2 pickles spell bytes as _codecs.encode(latin-1 text, 'latin1').
  '_codecs.encode': (a) => {
    const [text, enc] = a;
    if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1' && enc !== 'ascii')) {
      throw new CheckpointError('_codecs.encode is only allowed for latin-1 byte strings');
    }
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 255) throw new CheckpointError('_codecs.encode: character outside latin-1');
      out[i] = c;
    }
    return out;
  },
};

/** Looks a global up in the allow-list; null means refused. */
export function lookupGlobal(module: string, name: string): GlobalSpec | null {
  const mod = module === '__builtin__' ? 'builtins' : module === 'torch.tensor' ? 'torch._tensor' : module;
  const full = `${mod}.${name}`;
  const fn = CALLABLES[full];
  if (fn) return { kind: 'callable', call: fn };
  if ((mod === 'torch' || mod === 'torch.cuda') && name in STORAGE_DTYPES) {
    return { kind: 'value', value: new PyStorageType(name, STORAGE_DTYPES[name]!) };
  }
  if (mod === 'torch.storage' && (name === 'UntypedStorage' || name === '_LegacyStorage')) {
    return { kind: 'value', value: new PyStorageType('UntypedStorage', 'uint8') };
  }
  if (mod === 'torch' && name in DTYPE_NAMES) return { kind: 'value', value: new PyDtype(DTYPE_NAMES[name]!) };
  return null;
}

/** Everything the allow-list accepts, for documentation and the scanner's report. */
export function allowedGlobalNames(): string[] {
  return [
    ...Object.keys(CALLABLES),
    ...Object.keys(STORAGE_DTYPES).map((n) => `torch.${n}`),
    ...Object.keys(DTYPE_NAMES).map((n) => `torch.${n}`),
  ];
}
