/**
 * The checkpoint tree: walking nested dicts/lists/tuples to find every tensor (with its dotted path
 * from the root) and every state dict (`state_dict`, `model`, `model_state_dict`, `ema`, … or the root),
 * and converting between a PyDict with `_metadata` and the engine's StateDict. Walks are cycle-safe
 * and depth-limited, since a hostile pickle can build self-referencing containers through its memo.
 */
import { CheckpointError } from './errors.js';
import { PyDict, PyFloat, PyTuple, type PyValue } from './pyobjects.js';
import { TensorRef } from './tensorRef.js';
import { StateDict, type LocalMetadata } from '../nn/stateDict.js';
import type { Tensor } from '../tensor/tensor.js';
import type { WritableValue } from './pickler.js';

export const MAX_TREE_DEPTH = 200;

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
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof PyTuple) return v.items.map((x, i) => [i, x]);
  return null;
}

/** Visits every tensor with its full dotted key, depth-first in file order. */
export function* walkTensors(root: PyValue): Generator<{ key: string; ref: TensorRef }> {
  const seen = new Set<object>();
  const stack: [PyValue, string, number][] = [[root, '', 0]];
  // Iterative pre-order that keeps file order: children are pushed in reverse.
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (v instanceof TensorRef) {
      yield { key: path, ref: v };
      continue;
    }
    const kids = children(v);
    if (!kids) continue;
    if (seen.has(v as object)) continue;
    seen.add(v as object);
    if (depth >= MAX_TREE_DEPTH) throw new CheckpointError(`checkpoint nesting deeper than ${MAX_TREE_DEPTH}`);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]![1], join(path, kids[i]![0]), depth + 1]);
  }
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

export function findStateDicts(root: PyValue): FoundStateDict[] {
  const found: FoundStateDict[] = [];
  const seen = new Set<object>();
  const stack: [PyValue, string, number][] = [[root, '', 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    const kids = children(v);
    if (!kids || seen.has(v as object)) continue;
    seen.add(v as object);
    if (depth >= MAX_TREE_DEPTH) throw new CheckpointError(`checkpoint nesting deeper than ${MAX_TREE_DEPTH}`);
    if (v instanceof PyDict && isStateDictLike(v, path)) {
      found.push({ path, dict: v, keys: [...v.entries.keys()] as string[], metadata: metadataOf(v) });
      continue;
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]![1], join(path, kids[i]![0]), depth + 1]);
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

function plain(v: PyValue): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PyDict) return Object.fromEntries([...v.entries].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PyTuple) return v.items.map(plain);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** `_metadata` of a dict as prefix → {version, …}, or null when it has none. */
export function metadataOf(d: PyDict): Map<string, LocalMetadata> | null {
  const md = d.attrs?.get('_metadata');
  if (!(md instanceof PyDict)) return null;
  const out = new Map<string, LocalMetadata>();
  for (const [k, v] of md.entries) {
    if (typeof k !== 'string' || !(v instanceof PyDict)) continue;
    out.set(k, plain(v) as LocalMetadata);
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
