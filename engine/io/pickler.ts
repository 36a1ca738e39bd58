/**
 * A pickle writer (protocol 2, like torch.save) restricted to the opcodes PyTorch's
 * `weights_only=True` unpickler accepts, so what NormScope writes loads there. Tensors are written as
 * `torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`
 * through the `tensor` hook the container writer provides.
 */
import { CheckpointError } from './errors.js';
import { OP } from './pickleOps.js';
import {
  PyDevice,
  PyDict,
  PyDtype,
  PyFloat,
  PyGlobal,
  PyPlaceholder,
  PySet,
  PyStorageType,
  PyTuple,
  type PyValue,
} from './pyobjects.js';
import { Tensor } from '../tensor/tensor.js';
import { TensorRef, StorageRef } from './tensorRef.js';

/** What a tensor becomes in the pickle: a storage reference and a view into it. */
export interface PickledTensor {
  storageKey: string;
  storageType: string; // e.g. 'FloatStorage'
  storageNumel: number;
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

export type WritableValue = PyValue | Tensor | WritableValue[];

const enc = new TextEncoder();

export class Pickler {
  private out: Uint8Array = new Uint8Array(1 << 16);
  private n = 0;
  private depth = 0;
  /**
   * Objects already written → their memo slot, as Python's pickler keeps: a dict or tensor reachable
   * from many places is written once and then fetched (BINGET), so a DAG of shared subtrees costs its
   * size, not its number of paths, and a container that holds itself is written as the cycle it is.
   */
  private memo = new Map<object, number>();

  constructor(private readonly tensorHook?: (t: Tensor | TensorRef) => PickledTensor) {}

  dump(value: WritableValue): Uint8Array {
    this.n = 0;
    this.memo.clear();
    this.textMemo.clear();
    this.byte(OP.PROTO);
    this.byte(2);
    this.save(value);
    this.byte(OP.STOP);
    return this.out.slice(0, this.n);
  }

  private ensure(k: number): void {
    if (this.n + k <= this.out.length) return;
    let cap = this.out.length * 2;
    while (cap < this.n + k) cap *= 2;
    const bigger = new Uint8Array(cap);
    bigger.set(this.out.subarray(0, this.n));
    this.out = bigger;
  }
  private byte(b: number): void {
    this.ensure(1);
    this.out[this.n++] = b;
  }
  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.out.set(b, this.n);
    this.n += b.length;
  }
  private u32(v: number): void {
    this.ensure(4);
    new DataView(this.out.buffer).setUint32(this.n, v, true);
    this.n += 4;
  }

  /** Repeated globals and strings are fetched from the memo too, as Python's pickler does. */
  private global(module: string, name: string): void {
    const key = `${module}\n${name}\n`;
    if (this.getText(`g:${key}`)) return;
    this.byte(OP.GLOBAL);
    this.bytes(enc.encode(key));
    this.putText(`g:${key}`);
  }
  private str(s: string): void {
    if (this.getText(`s:${s}`)) return;
    const b = enc.encode(s);
    this.byte(OP.BINUNICODE);
    this.u32(b.length);
    this.bytes(b);
    this.putText(`s:${s}`);
  }
  private textMemo = new Map<string, number>();
  private putText(key: string): void {
    const i = this.memo.size + this.textMemo.size;
    this.textMemo.set(key, i);
    this.putSlot(i);
  }
  private getText(key: string): boolean {
    const i = this.textMemo.get(key);
    if (i === undefined) return false;
    this.getSlot(i);
    return true;
  }
  private int(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < 256) {
      this.byte(OP.BININT1);
      this.byte(v);
    } else if (typeof v === 'number' && v >= 0 && v < 65536) {
      this.byte(OP.BININT2);
      this.byte(v & 0xff);
      this.byte(v >> 8);
    } else if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) {
      this.byte(OP.BININT);
      this.ensure(4);
      new DataView(this.out.buffer).setInt32(this.n, v, true);
      this.n += 4;
    } else {
      const b = encodeLong(BigInt(v));
      this.byte(OP.LONG1);
      this.byte(b.length);
      this.bytes(b);
    }
  }
  private float(v: number): void {
    this.byte(OP.BINFLOAT);
    this.ensure(8);
    new DataView(this.out.buffer).setFloat64(this.n, v, false);
    this.n += 8;
  }
  private tuple(items: WritableValue[]): void {
    if (items.length === 0) return this.byte(OP.EMPTY_TUPLE);
    if (items.length <= 3) {
      for (const it of items) this.save(it);
      return this.byte([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1]!);
    }
    this.byte(OP.MARK);
    for (const it of items) this.save(it);
    this.byte(OP.TUPLE);
  }
  private dictItems(entries: Iterable<[PyValue, WritableValue]>): void {
    let batch: [PyValue, WritableValue][] = [];
    const flush = () => {
      if (!batch.length) return;
      this.byte(OP.MARK);
      for (const [k, v] of batch) {
        this.save(k);
        this.save(v);
      }
      this.byte(OP.SETITEMS);
      batch = [];
    };
    for (const e of entries) {
      batch.push(e);
      if (batch.length === 1000) flush();
    }
    flush();
  }

  /** Records `v` in the memo (the object on top of the pickle stack). */
  private put(v: object): void {
    const i = this.memo.size + this.textMemo.size;
    this.memo.set(v, i);
    this.putSlot(i);
  }
  private putSlot(i: number): void {
    if (i < 256) {
      this.byte(OP.BINPUT);
      this.byte(i);
    } else {
      this.byte(OP.LONG_BINPUT);
      this.u32(i);
    }
  }

  /** Writes a memo fetch when `v` was written before; false otherwise. */
  private get(v: WritableValue): boolean {
    if (v === null || typeof v !== 'object') return false;
    const i = this.memo.get(v);
    if (i === undefined) return false;
    this.getSlot(i);
    return true;
  }
  private getSlot(i: number): void {
    if (i < 256) {
      this.byte(OP.BINGET);
      this.byte(i);
    } else {
      this.byte(OP.LONG_BINGET);
      this.u32(i);
    }
  }

  private save(v: WritableValue): void {
    if (this.get(v)) return;
    if (++this.depth > 500) throw new CheckpointError('object nesting too deep to save (or a cycle)');
    try {
      this.saveInner(v);
    } finally {
      this.depth--;
    }
  }

  private saveInner(v: WritableValue): void {
    if (v === null) return this.byte(OP.NONE);
    if (v === true) return this.byte(OP.NEWTRUE);
    if (v === false) return this.byte(OP.NEWFALSE);
    if (typeof v === 'number') return Number.isInteger(v) ? this.int(v) : this.float(v);
    if (typeof v === 'bigint') return this.int(v);
    if (typeof v === 'string') return this.str(v);
    if (v instanceof PyFloat) return this.float(v.value);
    if (v instanceof Uint8Array) {
      // Protocol 2 spells bytes as _codecs.encode(latin-1 text, 'latin1').
      this.global('_codecs', 'encode');
      let s = '';
      for (const c of v) s += String.fromCharCode(c);
      this.str(s);
      this.str('latin1');
      this.byte(OP.TUPLE2);
      this.byte(OP.REDUCE);
      return this.put(v);
    }
    if (Array.isArray(v)) {
      this.byte(OP.EMPTY_LIST);
      this.put(v);
      for (let i = 0; i < v.length; i += 1000) {
        this.byte(OP.MARK);
        for (const it of v.slice(i, i + 1000)) this.save(it);
        this.byte(OP.APPENDS);
      }
      return;
    }
    if (v instanceof PyTuple) {
      this.tuple(v.items);
      // A tuple holding itself (only a hostile tree can) would have recursed into the depth limit.
      if (!this.memo.has(v)) this.put(v);
      return;
    }
    if (v instanceof PyDict) {
      if (v.kind === 'OrderedDict') {
        this.global('collections', 'OrderedDict');
        this.byte(OP.EMPTY_TUPLE);
        this.byte(OP.REDUCE);
      } else {
        this.byte(OP.EMPTY_DICT);
      }
      this.put(v);
      this.dictItems(v.entries);
      if (v.attrs && v.attrs.size) {
        const state = new PyDict();
        for (const [k, x] of v.attrs) state.set(k, x);
        this.save(state);
        this.byte(OP.BUILD);
      }
      return;
    }
    if (v instanceof PySet) {
      this.global('builtins', v.frozen ? 'frozenset' : 'set');
      this.save(v.items);
      this.byte(OP.TUPLE1);
      return this.byte(OP.REDUCE);
    }
    if (v instanceof PyDevice) {
      this.global('torch', 'device');
      this.tuple([v.spec]);
      return this.byte(OP.REDUCE);
    }
    if (v instanceof PyDtype) return this.global('torch', v.name);
    if (v instanceof PyStorageType) return this.global('torch', v.name);
    if (v instanceof Tensor || v instanceof TensorRef) return this.tensor(v);
    if (v instanceof PyGlobal) return this.global(v.module, v.name);
    if (v instanceof PyPlaceholder) {
      throw new CheckpointError(
        `cannot save an inert placeholder for ${v.global}; drop it or load without placeholders`,
      );
    }
    if (v instanceof StorageRef) throw new CheckpointError('cannot save a bare storage');
    throw new CheckpointError(`cannot pickle a value of type ${typeof v}`);
  }

  private tensor(t: Tensor | TensorRef): void {
    if (!this.tensorHook) throw new CheckpointError('this writer cannot store tensors');
    const p = this.tensorHook(t);
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(OP.MARK);
    // persistent id: ('storage', torch.XStorage, key, 'cpu', numel)
    this.byte(OP.MARK);
    this.str('storage');
    this.global('torch', p.storageType);
    this.str(p.storageKey);
    this.str('cpu');
    this.int(p.storageNumel);
    this.byte(OP.TUPLE);
    this.byte(OP.BINPERSID);
    this.int(p.offset);
    this.tuple([...p.shape]);
    this.tuple([...p.stride]);
    this.byte(OP.NEWFALSE);
    this.global('collections', 'OrderedDict');
    this.byte(OP.EMPTY_TUPLE);
    this.byte(OP.REDUCE);
    this.byte(OP.TUPLE);
    this.byte(OP.REDUCE);
    this.put(t);
  }
}

/** Minimal little-endian two's complement, as pickle's LONG1 wants. */
export function encodeLong(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const out: number[] = [];
  let x = v;
  for (;;) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
    const signBit = (out[out.length - 1]! & 0x80) !== 0;
    if ((x === 0n && !signBit) || (x === -1n && signBit)) break;
  }
  if (out.length > 255) throw new CheckpointError('integer too large to pickle');
  return Uint8Array.from(out);
}
