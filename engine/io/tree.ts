/**
 * The checkpoint tree: walking nested dicts/lists/tuples to find every tensor (with its dotted path
 * from the root) and every state dict (`state_dict`, `model`, `model_state_dict`, `ema`, … or the root),
 * and converting between a PyDict with `_metadata` and the engine's StateDict. Walks are iterative,
 * cycle-safe and budgeted (depth, items), since a hostile pickle can build self-referencing or
 * exponentially shared containers through its memo.
 */
import { CheckpointError } from './errors.js';
import { Meter } from './budgets.js';
import { PyDict, PyFloat, PyPlaceholder, PyTuple, type PyValue } from './pyobjects.js';
import { TensorRef } from './tensorRef.js';
import { StateDict, type LocalMetadata } from '../nn/stateDict.js';
import type { Tensor } from '../tensor/tensor.js';
import type { WritableValue } from './pickler.js';

/** Names under which training scripts usually keep model weights, most preferred first. */
export const STATE_DICT_NAMES = [
  'state_dict',
  'model_state_dict',
  'model',
  'ema',
  'model_ema',
  'state_dict_ema',
  'net',
  'network',
  'weights',
];

export interface FoundStateDict {
  /** Dotted path from the root ('' for the root itself). */
  path: string;
  dict: PyDict;
  keys: string[];
  metadata: Map<string, LocalMetadata> | null;
}

function join(path: string, key: PyValue): string {
  const k = typeof key === 'string' ? key : typeof key === 'number' || typeof key === 'bigint' ? String(key) : '?';
  return path ? `${path}.${k}` : k;
}

function children(v: PyValue): [PyValue, PyValue][] | null {
  if (v instanceof PyDict) return [...v.entries];
  if (v instanceof PyPlaceholder) return placeholderChildren(v);
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof PyTuple) return v.items.map((x, i) => [i, x]);
  return null;
}

/**
 * An inert placeholder (a class outside the allow-list, e.g. a whole module saved with
 * torch.save(model)) still holds the tensors it would have been built from. A Module's state lists
 * them under the names its state_dict uses (parameters, buffers, then submodules, which recurse);
 * any other placeholder's arguments, state and items are walked as they are. Nothing is run.
 */
function placeholderChildren(p: PyPlaceholder): [PyValue, PyValue][] {
  const st = p.state;
  if (st instanceof PyDict) {
    const parts = ['_parameters', '_buffers', '_modules'].map((k) => st.entries.get(k));
    if (parts.some((d) => d instanceof PyDict)) {
      const out: [PyValue, PyValue][] = [];
      for (const d of parts) if (d instanceof PyDict) for (const e of d.entries) if (e[1] !== null) out.push(e);
      return out;
    }
  }
  return [
    ...p.args.map((x, i): [PyValue, PyValue] => [`arg${i}`, x]),
    ...(st === null ? [] : [['state', st] as [PyValue, PyValue]]),
    ...p.items.map((x, i): [PyValue, PyValue] => [`item${i}`, x]),
    ...p.dictItems,
  ];
}

/** Items of a container listed again under another key count this many times (see walk). */
export const SHARED_WEIGHT = 100;

interface Frame {
  v: PyValue;
  path: string;
  depth: number;
  /** Leaving v: it is no longer an ancestor of what comes next. */
  exit?: boolean;
}

/**
 * Depth-first walk in file order (iterative: a hostile file chooses the nesting). A container
 * reachable under several keys (`{'model': sd, 'ema': sd}`) is listed under each of them, as
 * torch.load gives the same object under both; one that contains itself is not entered again below
 * itself. Every visited item is charged to the meter, so a pickle DAG whose levels reference the
 * previous one twice (2^40 paths from 1 KB) stops at the items budget instead of running for hours.
 */
function* walk(root: PyValue, meter: Meter, stopAt?: (v: PyDict, path: string) => boolean): Generator<Frame> {
  const onPath = new Set<object>();
  const expanded = new Set<object>();
  const stack: Frame[] = [{ v: root, path: '', depth: 0 }];
  while (stack.length) {
    const f = stack.pop()!;
    if (f.exit) {
      onPath.delete(f.v as object);
      continue;
    }
    const kids = children(f.v);
    if (!kids) {
      yield f;
      continue;
    }
    if (onPath.has(f.v as object)) continue;
    meter.checkDepth(f.depth, 'the checkpoint tree');
    if (stopAt && f.v instanceof PyDict && stopAt(f.v, f.path)) {
      yield f;
      continue;
    }
    // A container seen before under another key is listed again (both paths are real), but charged
    // SHARED_WEIGHT times its items: sharing is normal in small doses ({'model': sd, 'ema': sd}) and
    // the amplification in a DAG of shared levels, so the DAG meets the items budget early.
    const again = expanded.has(f.v as object);
    expanded.add(f.v as object);
    meter.chargeItems(again ? kids.length * SHARED_WEIGHT : kids.length);
    onPath.add(f.v as object);
    stack.push({ ...f, exit: true });
    for (let i = kids.length - 1; i >= 0; i--) {
      stack.push({ v: kids[i]![1], path: join(f.path, kids[i]![0]), depth: f.depth + 1 });
    }
  }
}

/** Visits every tensor with its full dotted key, depth-first in file order. */
export function* walkTensors(root: PyValue, meter: Meter = new Meter()): Generator<{ key: string; ref: TensorRef }> {
  for (const f of walk(root, meter)) if (f.v instanceof TensorRef) yield { key: f.path, ref: f.v };
}

function isStateDictLike(d: PyDict, path: string): boolean {
  if (d.entries.size === 0) return false;
  for (const [k, v] of d.entries) if (typeof k !== 'string' || !(v instanceof TensorRef)) return false;
  const last = path.split('.').pop() ?? '';
  return (
    path === '' ||
    d.attrs?.has('_metadata') === true ||
    STATE_DICT_NAMES.includes(last) ||
    [...d.entries.keys()].some((k) => (k as string).includes('.'))
  );
}

export function findStateDicts(root: PyValue, meter: Meter = new Meter()): FoundStateDict[] {
  const found: FoundStateDict[] = [];
  for (const f of walk(root, meter, isStateDictLike)) {
    if (!(f.v instanceof PyDict)) continue;
    found.push({
      path: f.path,
      dict: f.v,
      keys: [...f.v.entries.keys()] as string[],
      metadata: metadataOf(f.v, meter),
    });
  }
  // Preferred names first, then file order.
  const rank = (p: string) => {
    const i = STATE_DICT_NAMES.indexOf(p);
    return p === '' ? -1 : i < 0 ? STATE_DICT_NAMES.length : i;
  };
  return found
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f.path) - rank(b.f.path) || a.i - b.i)
    .map((x) => x.f);
}

/**
 * A PyValue as plain JS data (for `_metadata`), built iteratively: a 100k-deep structure hits the
 * depth budget with an error naming it instead of overflowing the stack, and a cycle ends in null.
 */
function plain(root: PyValue, meter: Meter): unknown {
  const out: { v: unknown } = { v: undefined };
  // Containers being converted; an entry that refers back to one of them (a cycle, which Python
  // prints as {...}) becomes null instead of recursing.
  const onPath = new Set<object>();
  const leave = Symbol('leave');
  const work: [PyValue | typeof leave, (x: unknown) => void, number, object?][] = [[root, (x) => (out.v = x), 0]];
  while (work.length) {
    const [v, put, depth, left] = work.pop()!;
    if (v === leave) {
      onPath.delete(left!);
      continue;
    }
    if ((v instanceof PyDict || v instanceof PyTuple || Array.isArray(v)) && onPath.has(v)) {
      put(null);
      continue;
    }
    if (v instanceof PyDict || v instanceof PyTuple || Array.isArray(v)) {
      onPath.add(v);
      work.push([leave, put, depth, v]);
    }
    if (v instanceof PyFloat) put(v.value);
    else if (typeof v === 'bigint') put(Number(v));
    else if (v instanceof PyDict) {
      meter.checkDepth(depth, '_metadata');
      meter.chargeItems(v.entries.size);
      const o: Record<string, unknown> = {};
      put(o);
      for (const [k, x] of v.entries) {
        const key = String(k);
        // An own property even for '__proto__', as Object.fromEntries would make.
        Object.defineProperty(o, key, { value: undefined, writable: true, enumerable: true, configurable: true });
        work.push([x, (y) => (o[key] = y), depth + 1]);
      }
    } else if (v instanceof PyTuple || Array.isArray(v)) {
      const items = v instanceof PyTuple ? v.items : v;
      meter.checkDepth(depth, '_metadata');
      meter.chargeItems(items.length);
      const a = new Array<unknown>(items.length);
      put(a);
      items.forEach((x, i) => work.push([x, (y) => (a[i] = y), depth + 1]));
    } else put(v);
  }
  return out.v;
}

/** Nesting depth of plain JSON data (iterative). */
export function jsonDepth(root: unknown): number {
  let max = 0;
  const work: [unknown, number][] = [[root, 0]];
  while (work.length) {
    const [v, d] = work.pop()!;
    if (d > max) max = d;
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) work.push([x, d + 1]);
  }
  return max;
}

/** `_metadata` of a dict as prefix → {version, …}, or null when it has none. */
export function metadataOf(d: PyDict, meter: Meter = new Meter()): Map<string, LocalMetadata> | null {
  const md = d.attrs?.get('_metadata');
  if (!(md instanceof PyDict)) return null;
  const out = new Map<string, LocalMetadata>();
  for (const [k, v] of md.entries) {
    if (typeof k !== 'string' || !(v instanceof PyDict)) continue;
    out.set(k, plain(v, meter) as LocalMetadata);
  }
  return out;
}

/** A lazy state dict: key → TensorRef, plus metadata. */
export interface RefStateDict {
  tensors: Map<string, TensorRef>;
  metadata: Map<string, LocalMetadata> | null;
}

export function refStateDict(found: FoundStateDict): RefStateDict {
  return { tensors: new Map([...found.dict.entries] as [string, TensorRef][]), metadata: found.metadata };
}

/** Materializes a found state dict into the engine's StateDict (views over the file where possible). */
export function toStateDict(found: FoundStateDict | RefStateDict): StateDict {
  const ref = 'dict' in found ? refStateDict(found) : found;
  const sd = new StateDict(undefined, ref.metadata);
  for (const [k, t] of ref.tensors) sd.set(k, t.materialize());
  return sd;
}

/** A StateDict as the OrderedDict torch.save writes, `_metadata` attached when present. */
export function stateDictToPy(
  sd: Map<string, Tensor | TensorRef> & { metadata?: Map<string, LocalMetadata> | null },
): PyDict {
  const d = new PyDict('OrderedDict');
  for (const [k, t] of sd) d.entries.set(k, t as unknown as PyValue);
  if (sd.metadata && sd.metadata.size) {
    const md = new PyDict('OrderedDict');
    for (const [prefix, local] of sd.metadata) {
      const ld = new PyDict('dict');
      for (const [k, v] of Object.entries(local)) ld.set(k, jsToPy(v));
      md.set(prefix, ld);
    }
    d.attrs = new Map([['_metadata', md]]);
  }
  return d;
}

function jsToPy(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (Array.isArray(v)) return v.map(jsToPy);
  if (typeof v === 'object') {
    const d = new PyDict();
    for (const [k, x] of Object.entries(v)) d.set(k, jsToPy(x));
    return d;
  }
  throw new CheckpointError(`cannot store metadata value of type ${typeof v}`);
}

/** A copy of `root` with the dict at `path` replaced (the rest of the tree is shared, not copied). */
export function replaceAtPath(root: PyValue, path: string, value: PyValue): WritableValue {
  if (path === '') return value;
  const [head, ...rest] = splitFirst(root, path);
  if (!(root instanceof PyDict) || head === undefined) throw new CheckpointError(`no dict at '${path}'`);
  const copy = new PyDict(root.kind);
  copy.attrs = root.attrs;
  for (const [k, v] of root.entries)
    copy.entries.set(k, k === head ? (replaceAtPath(v, rest.join('.'), value) as PyValue) : v);
  return copy;
}

/** Splits a dotted path at the first key that exists in `root` (keys may contain dots themselves). */
function splitFirst(root: PyValue, path: string): string[] {
  if (!(root instanceof PyDict)) return [];
  const parts = path.split('.');
  for (let i = parts.length; i >= 1; i--) {
    const head = parts.slice(0, i).join('.');
    if (root.entries.has(head)) return [head, ...parts.slice(i)];
  }
  return [];
}
