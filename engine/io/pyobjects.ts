/**
 * The inert JavaScript values a pickle becomes. Nothing here can run code: a global is only a name,
 * and the few allowed globals are interpreted by pure data constructors in torchGlobals.ts.
 *
 * Python → JS: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number
 * (PyFloat when integral, so a rewrite keeps `1.0` a float), str → string, bytes → Uint8Array,
 * list → array, tuple → PyTuple, dict/OrderedDict → PyDict, set → PySet.
 */
import type { TensorRef, StorageRef } from './tensorRef.js';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict or OrderedDict. `attrs` holds the instance __dict__ set by BUILD (where `_metadata` lives). */
export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
  attrs: Map<string, PyValue> | null = null;
  constructor(public kind: 'dict' | 'OrderedDict' = 'dict') {}
  get(key: string): PyValue | undefined {
    return this.entries.get(key);
  }
  set(key: PyValue, value: PyValue): this {
    this.entries.set(normalizeKey(key), value);
    return this;
  }
}

/** A Python float whose value happens to be integral (1.0), kept distinct from the int 1. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen = false,
  ) {}
}

/** A reference to an allowed global (a class or function name). Never callable by itself. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An object of a class that is not allowed, kept inert when the caller opted in: the global's name,
 * the arguments and state it would have been built from. Never instantiated.
 */
export class PyPlaceholder {
  state: PyValue = null;
  readonly items: PyValue[] = [];
  readonly dictItems = new Map<PyValue, PyValue>();
  constructor(
    readonly global: string,
    readonly args: PyValue[],
    readonly offset: number,
  ) {}
}

export class PyDevice {
  constructor(readonly spec: string) {}
}

export class PyDtype {
  constructor(readonly name: string) {}
}

/** A torch storage class such as torch.FloatStorage, naming the element type of a storage. */
export class PyStorageType {
  constructor(
    readonly name: string,
    readonly dtype: string,
  ) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PyFloat
  | PySet
  | PyGlobal
  | PyPlaceholder
  | PyDevice
  | PyDtype
  | PyStorageType
  | StorageRef
  | TensorRef;

/** Dict keys: small bigints become numbers so `d.get(0)` finds an int key. */
export function normalizeKey(k: PyValue): PyValue {
  if (typeof k === 'bigint' && k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(k);
  }
  return k;
}

/** Short type name for messages. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind;
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyGlobal) return `global ${v.full}`;
  if (v instanceof PyPlaceholder) return `placeholder ${v.global}`;
  if (v instanceof PyDevice) return 'torch.device';
  if (v instanceof PyDtype) return 'torch.dtype';
  if (v instanceof PyStorageType) return 'storage type';
  return (v as { constructor: { name: string } }).constructor.name;
}
