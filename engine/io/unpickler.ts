/**
 * A pickle reader (protocols 0–5) that never executes anything. Globals resolve only through the
 * allow-list in torchGlobals.ts; any other global is refused with its name and byte offset (or, when
 * `placeholders` is set, kept as an inert PyPlaceholder). Memo size, MARK nesting, stack size and
 * declared lengths are bounded, so hostile input fails fast with a PickleError.
 */
import { PickleError, RefusedGlobalError, CheckpointError } from './errors.js';
import { Meter } from './budgets.js';
import { OP } from './pickleOps.js';
import { PyDict, PyFloat, PyGlobal, PyPlaceholder, PySet, PyTuple, type PyValue } from './pyobjects.js';
import { lookupGlobal } from './torchGlobals.js';
import { TensorRef } from './tensorRef.js';
import { decodeLong, latin1, parseIndex, parseIntText, unescapeRawUnicode, unquote } from './pickleText.js';

export { decodeLong };

export interface UnpickleOptions {
  /** Keep unknown globals as inert placeholders instead of refusing the file. */
  placeholders?: boolean;
  /** Resolves persistent ids (torch storages). Without it, a persistent id is an error. */
  persistentLoad?: (pid: PyValue, offset: number) => PyValue;
  maxMemo?: number;
  maxMarkDepth?: number;
  maxStack?: number;
  /** Largest integer literal in bytes (LONG1/LONG4/text LONG). */
  maxIntBytes?: number;
  /**
   * Objects, container items and bytes made here are charged to this meter (shared with the rest of a
   * load), so constructor amplification (`list(s)` of a long string, a DAG of copies) hits a budget.
   */
  meter?: Meter;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past the STOP opcode (legacy files hold several pickles back to back). */
  end: number;
  protocol: number;
  /** Globals that became placeholders. */
  placeholders: string[];
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function unpickle(bytes: Uint8Array, start = 0, opts: UnpickleOptions = {}): UnpickleResult {
  const reader = new Reader(bytes, start, opts);
  try {
    return reader.run();
  } catch (e) {
    // Errors from a format's own callbacks keep their type; generic ones get the opcode's offset.
    if (e instanceof CheckpointError && e.constructor !== CheckpointError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new PickleError(e instanceof CheckpointError ? msg : `malformed pickle: ${msg}`, reader.opOffset);
  }
}

class Reader {
  private pos: number;
  private stack: Slot[] = [];
  private marks: number[] = [];
  private memo = new Map<number, PyValue>();
  private protocol = 0;
  private op = 0;
  get opOffset(): number {
    return this.op;
  }
  private readonly placeholders: string[] = [];
  private readonly maxMemo: number;
  private readonly maxMarks: number;
  private readonly maxStack: number;
  private readonly maxIntBytes: number;
  private readonly dv: DataView;
  private readonly meter: Meter;

  constructor(
    private readonly b: Uint8Array,
    start: number,
    private readonly opts: UnpickleOptions,
  ) {
    this.pos = start;
    this.maxMemo = opts.maxMemo ?? 1 << 22;
    this.maxMarks = opts.maxMarkDepth ?? 1000;
    this.maxStack = opts.maxStack ?? 1 << 24;
    this.maxIntBytes = opts.maxIntBytes ?? 1024;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.meter = opts.meter ?? new Meter();
  }

  fail(msg: string): never {
    throw new PickleError(msg, this.op);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.b.length) {
      this.fail(`declared length ${n} runs past the end of the pickle (${this.b.length - this.pos} bytes left)`);
    }
  }
  private u1(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  private u2(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  private i4(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u4(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u8(): number {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.b.length)) this.fail(`declared length ${v} exceeds the pickle size`);
    return Number(v);
  }
  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private line(): string {
    const end = this.b.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('unterminated text line');
    const s = latin1(this.b.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  private text(bytes: Uint8Array): string {
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail('invalid UTF-8 in a string');
    }
  }

  private push(v: Slot): void {
    if (this.stack.length >= this.maxStack) this.fail('pickle stack too large');
    this.meter.chargeObjects();
    this.stack.push(v);
  }
  private pop(): PyValue {
    if (this.stack.length === 0 || (this.marks.length && this.stack.length <= this.marks[this.marks.length - 1]!)) {
      this.fail('stack underflow');
    }
    const v = this.stack.pop()!;
    if (v === MARK) this.fail('unexpected MARK');
    return v;
  }
  private top(): PyValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) this.fail('stack underflow');
    return v;
  }
  private popMark(): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    const items = this.stack.splice(m) as PyValue[];
    this.meter.chargeItems(items.length);
    return items;
  }
  private memoPut(i: number): void {
    if (this.memo.size >= this.maxMemo && !this.memo.has(i)) this.fail(`memo exceeds ${this.maxMemo} entries`);
    this.memo.set(i, this.top());
  }
  private memoGet(i: number): PyValue {
    if (!this.memo.has(i)) this.fail(`memo key ${i} not found`);
    return this.memo.get(i)!;
  }
  private int(bytes: Uint8Array): number | bigint {
    if (bytes.length > this.maxIntBytes) this.fail(`integer of ${bytes.length} bytes exceeds the limit`);
    return decodeLong(bytes);
  }

  /** GLOBAL/INST/STACK_GLOBAL: allowed → resolved value; else refused or a placeholder marker. */
  private resolve(module: string, name: string): PyValue {
    const spec = lookupGlobal(module, name);
    if (spec?.kind === 'value') return spec.value;
    if (spec) return new PyGlobal(module, name);
    const full = `${module}.${name}`;
    if (!this.opts.placeholders) throw new RefusedGlobalError(full, this.op);
    this.placeholders.push(full);
    return new PyPlaceholder(full, [], this.op);
  }

  /** REDUCE/NEWOBJ/INST/OBJ: calls an allowed pure constructor, or records a placeholder. */
  private call(fn: PyValue, args: PyValue): PyValue {
    const list = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : null;
    if (!list) this.fail('call arguments are not a tuple');
    if (fn instanceof PyPlaceholder) return new PyPlaceholder(fn.global, list, fn.offset);
    if (fn instanceof PyGlobal) {
      const spec = lookupGlobal(fn.module, fn.name);
      if (spec?.kind === 'callable') return this.charged(spec.call(list), list);
    }
    return this.fail(`cannot call a ${describe(fn)}`);
  }

  run(): UnpickleResult {
    const b = this.b;
    for (;;) {
      this.op = this.pos;
      if (this.pos >= b.length) this.fail('pickle ended without STOP');
      const code = b[this.pos++]!;
      switch (code) {
        case OP.PROTO:
          this.protocol = this.u1();
          if (this.protocol > 5) this.fail(`unsupported pickle protocol ${this.protocol}`);
          break;
        case OP.FRAME:
          this.u8();
          break;
        case OP.STOP: {
          const value = this.pop();
          return { value, end: this.pos, protocol: this.protocol, placeholders: this.placeholders };
        }
        case OP.MARK:
          if (this.marks.length >= this.maxMarks) this.fail(`nesting deeper than ${this.maxMarks}`);
          this.marks.push(this.stack.length);
          break;
        case OP.POP:
          if (this.stack[this.stack.length - 1] === MARK) this.stack.pop();
          else this.pop();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(this.i4());
          break;
        case OP.BININT1:
          this.push(this.u1());
          break;
        case OP.BININT2:
          this.push(this.u2());
          break;
        case OP.LONG1:
          this.push(this.int(this.take(this.u1())));
          break;
        case OP.LONG4:
          this.push(this.int(this.take(this.u4())));
          break;
        case OP.INT: {
          const s = this.line();
          if (s === '00') this.push(false);
          else if (s === '01') this.push(true);
          else this.push(parseIntText(s, this));
          break;
        }
        case OP.LONG:
          this.push(parseIntText(this.line().replace(/L$/, ''), this));
          break;
        case OP.FLOAT: {
          const v = Number(this.line());
          this.push(Number.isInteger(v) ? new PyFloat(v) : v);
          break;
        }
        case OP.BINFLOAT: {
          this.need(8);
          const v = this.dv.getFloat64(this.pos, false);
          this.pos += 8;
          this.push(Number.isInteger(v) ? new PyFloat(v) : v);
          break;
        }
        case OP.BINUNICODE:
          this.push(this.text(this.take(this.u4())));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.text(this.take(this.u1())));
          break;
        case OP.BINUNICODE8:
          this.push(this.text(this.take(this.u8())));
          break;
        case OP.UNICODE:
          this.push(unescapeRawUnicode(this.line()));
          break;
        case OP.STRING:
          this.push(unquote(this.line(), this));
          break;
        case OP.BINSTRING: {
          const n = this.i4();
          this.push(latin1(this.take(n)));
          break;
        }
        case OP.SHORT_BINSTRING:
          this.push(latin1(this.take(this.u1())));
          break;
        case OP.BINBYTES:
          this.push(this.take(this.u4()).slice());
          break;
        case OP.SHORT_BINBYTES:
          this.push(this.take(this.u1()).slice());
          break;
        case OP.BINBYTES8:
        case OP.BYTEARRAY8:
          this.push(this.take(this.u8()).slice());
          break;
        case OP.NEXT_BUFFER:
          this.fail('out-of-band buffers are not supported');
          break;
        case OP.READONLY_BUFFER:
          this.top();
          break;
        case OP.EMPTY_TUPLE:
          this.push(new PyTuple([]));
          break;
        case OP.TUPLE:
          this.push(new PyTuple(this.popMark()));
          break;
        case OP.TUPLE1: {
          const a = this.pop();
          this.push(new PyTuple([a]));
          break;
        }
        case OP.TUPLE2: {
          const y = this.pop();
          const x = this.pop();
          this.push(new PyTuple([x, y]));
          break;
        }
        case OP.TUPLE3: {
          const z = this.pop();
          const y = this.pop();
          const x = this.pop();
          this.push(new PyTuple([x, y, z]));
          break;
        }
        case OP.EMPTY_LIST:
          this.push([]);
          break;
        case OP.LIST:
          this.push(this.popMark());
          break;
        case OP.APPEND: {
          const v = this.pop();
          this.meter.chargeItems(1);
          this.appendTo(this.top(), [v]);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.appendTo(this.top(), items);
          break;
        }
        case OP.EMPTY_DICT:
          this.push(new PyDict());
          break;
        case OP.DICT: {
          const items = this.popMark();
          const d = new PyDict();
          this.setItems(d, items);
          this.push(d);
          break;
        }
        case OP.SETITEM: {
          const v = this.pop();
          const k = this.pop();
          this.meter.chargeItems(1);
          this.setItems(this.top(), [k, v]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case OP.EMPTY_SET:
          this.push(new PySet([]));
          break;
        case OP.ADDITEMS: {
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet) || s.frozen) this.fail('ADDITEMS target is not a set');
          for (const it of items) s.items.push(it); // no spread: millions of arguments overflow the stack
          break;
        }
        case OP.FROZENSET:
          this.push(new PySet(this.popMark(), true));
          break;
        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.push(this.resolve(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.resolve(module, name));
          break;
        }
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4: {
          const n = code === OP.EXT1 ? this.u1() : code === OP.EXT2 ? this.u2() : this.i4();
          // The extension registry maps codes to arbitrary globals; we cannot know which, so refuse.
          if (!this.opts.placeholders) throw new RefusedGlobalError(`<extension code ${n}>`, this.op);
          this.placeholders.push(`<extension code ${n}>`);
          this.push(new PyPlaceholder(`<extension code ${n}>`, [], this.op));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call(fn, args));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case OP.NEWOBJ_EX: {
          this.pop(); // kwargs
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case OP.INST: {
          const module = this.line();
          const name = this.line();
          const fn = this.resolve(module, name);
          this.push(this.call(fn, new PyTuple(this.popMark())));
          break;
        }
        case OP.OBJ: {
          const items = this.popMark();
          if (items.length === 0) this.fail('OBJ without a class');
          this.push(this.call(items[0]!, new PyTuple(items.slice(1))));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case OP.PERSID:
        case OP.BINPERSID: {
          const pid = code === OP.PERSID ? this.line() : this.pop();
          if (!this.opts.persistentLoad) this.fail('persistent id found but this pickle has no storages');
          this.push(this.opts.persistentLoad(pid, this.op));
          break;
        }
        case OP.PUT:
          this.memoPut(parseIndex(this.line(), this));
          break;
        case OP.BINPUT:
          this.memoPut(this.u1());
          break;
        case OP.LONG_BINPUT:
          this.memoPut(this.u4());
          break;
        case OP.MEMOIZE:
          this.memoPut(this.memo.size);
          break;
        case OP.GET:
          this.push(this.memoGet(parseIndex(this.line(), this)));
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u1()));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.u4()));
          break;
        default:
          this.fail(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
      }
    }
  }

  /** Charges what an allowed constructor made: the items it copied, the bytes it created. */
  private charged(v: PyValue, args: PyValue[]): PyValue {
    if (Array.isArray(v)) this.meter.chargeItems(v.length);
    else if (v instanceof PyTuple || v instanceof PySet) this.meter.chargeItems(v.items.length);
    else if (v instanceof PyDict) this.meter.chargeItems(v.entries.size);
    else if (v instanceof Uint8Array && !args.includes(v)) this.meter.chargeBytes(v.length, 'bytes object');
    return v;
  }

  private appendTo(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) {
      for (const it of items) target.push(it);
    } else if (target instanceof PyPlaceholder) for (const it of items) target.items.push(it);
    else this.fail(`cannot append to ${describe(target)}`);
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2) this.fail('odd number of items for a dict');
    if (target instanceof PyDict) for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!);
    else if (target instanceof PyPlaceholder)
      for (let i = 0; i < items.length; i += 2) target.dictItems.set(items[i]!, items[i + 1]!);
    else this.fail(`cannot set items on ${describe(target)}`);
  }

  /** BUILD: instance state. Dicts keep it as attributes (`_metadata`); tensors ignore hooks/state. */
  private build(target: PyValue, state: PyValue): void {
    if (target instanceof PyPlaceholder) {
      target.state = state;
      return;
    }
    if (target instanceof PyDict) {
      let dictState = state;
      if (state instanceof PyTuple && state.items.length === 2) dictState = state.items[0] ?? null;
      if (dictState === null) return;
      if (!(dictState instanceof PyDict)) this.fail('dict state is not a dict');
      target.attrs ??= new Map();
      for (const [k, v] of dictState.entries) {
        if (typeof k !== 'string') this.fail('attribute name is not a string');
        target.attrs.set(k, v);
      }
      return;
    }
    if (isTensorLike(target)) return;
    this.fail(`cannot BUILD a ${describe(target)}`);
  }
}

function isTensorLike(v: PyValue): boolean {
  return v instanceof TensorRef;
}

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return `global ${v.full}`;
  if (typeof v === 'object') return (v as object).constructor.name;
  return typeof v;
}
