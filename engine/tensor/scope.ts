/**
 * Scoped release of kernel outputs and gradients, in TensorFlow.js's manner: `tidy(fn)` runs fn and then
 * returns to the host allocator's cache (engine/tensor/allocator.ts) every storage made inside it for a
 * kernel output or gradient (`allocateUninit`) that no tensor returned from fn, or kept with `keep()`,
 * holds. `dispose(x)` releases the tensors in x at once.
 *
 * What counts as held: the storages of the returned tensors (found in arrays, Maps, Sets and plain
 * objects), of their `.grad`s, and of every tensor their autograd graphs reach, so a graph returned from
 * a scope can still run backward. Views share their Storage, so a returned view keeps its base's values.
 * Zero-filled allocations (zeros(), parameters, lazily made optimizer state) are never released by a
 * scope, and a buffer that a second storage wraps (e.g. `setStorage(t.data)`) stops being a scope's to
 * release: state made inside a step survives it. So does a gradient the autograd engine hands to a leaf
 * as its `.grad` (autograd.ts adopts the backward's own buffer and takes it out of the scope).
 *
 * A released storage refuses to be read (a RuntimeError naming tidy/dispose), and its buffer is detached,
 * so neither a forgotten tensor nor a typed array taken from one can see the buffer's next owner.
 */
import { RuntimeError } from '../errors.js';
import { isTransient, markEscaped } from './allocator.js';

/** What a scope needs of a Storage (engine/tensor/storage.ts). */
export interface ScopedStorage {
  /**
   * Gives the host buffer back to the cache; false when there is nothing to give (device copy, not
   * pooled) or, with `scopedOnly`, when the buffer escaped its scope (another storage wraps it).
   */
  release(scopedOnly?: boolean): boolean;
}

interface TensorLike {
  storage: ScopedStorage;
  grad: TensorLike | null;
  gradFn: { inputs: readonly (TensorLike | null)[] } | null;
}

/** Open scopes, innermost last: each holds the storages made inside it that it may release. */
const scopes: ScopedStorage[][] = [];
/** Buffers some storage already wraps (a second wrapper marks the buffer escaped). */
const wrapped = new WeakSet<ArrayBufferLike>();
/** Storages exempt from every scope (keep()). */
const kept = new WeakSet<ScopedStorage>();
/** A returned value with more objects than this is not searched: the scope then releases nothing. */
const MAX_WALK = 1_000_000;
/**
 * The storages made during the innermost `trackBirths()` (a backward pass, engine/tensor/autograd.ts) whose
 * pooled kernel-output buffer no other storage wrapped when they were made; null outside one.
 */
let births: Set<ScopedStorage> | null = null;

/** Called by Storage.fromHost for each new host storage: the innermost scope takes pooled outputs. */
export function noteHostStorage(s: ScopedStorage, buf: ArrayBufferLike): void {
  if (!isTransient(buf)) return;
  if (wrapped.has(buf)) {
    markEscaped(buf);
    return;
  }
  wrapped.add(buf);
  births?.add(s);
  scopes[scopes.length - 1]?.push(s);
}

/**
 * Runs `fn` with a fresh record of the storages born during it (see `bornExclusive`). A nested call keeps
 * its own record: what an inner pass made counts as made elsewhere for the outer one (conservative).
 */
export function trackBirths<T>(fn: () => T): T {
  const prev = births;
  births = new Set();
  try {
    return fn();
  } finally {
    births = prev;
  }
}

/**
 * True when `s` was made during the innermost `trackBirths()` around a transient pooled buffer (a kernel
 * output or gradient from allocateUninit) and is still the only storage wrapping it: nothing made before
 * the pass (a user's tensor, a seed, a saved activation) and nothing a second storage shares. The caller
 * must still know that no other tensor *object* holds `s` (autograd counts its own references).
 */
export function bornExclusive(s: ScopedStorage, buf: ArrayBufferLike): boolean {
  return births !== null && births.has(s) && isTransient(buf);
}

/**
 * Takes a transient buffer out of every scope's reach: it now backs state that outlives the scope (a
 * leaf's adopted gradient), freed only by dispose() or the garbage collector.
 */
export function escapeScopes(buf: ArrayBufferLike): void {
  markEscaped(buf);
}

function isTensorLike(v: object): v is TensorLike {
  const s = (v as { storage?: unknown }).storage;
  return typeof s === 'object' && s !== null && typeof (s as ScopedStorage).release === 'function' && 'gradFn' in v;
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/**
 * The storages `value` holds: its tensors' (in arrays, Maps, Sets, plain objects) and, with `graphs`,
 * their grads' and those of every tensor their autograd graphs reach. Null when the search ran past MAX_WALK.
 */
function heldStorages(value: unknown, graphs: boolean): Set<ScopedStorage> | null {
  const out = new Set<ScopedStorage>();
  const seen = new Set<object>();
  const todo: unknown[] = [value];
  while (todo.length) {
    const v = todo.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    if (seen.size >= MAX_WALK) return null;
    seen.add(v);
    if (isTensorLike(v)) {
      out.add(v.storage);
      if (graphs && v.grad) todo.push(v.grad);
      if (graphs && v.gradFn) for (const t of v.gradFn.inputs) if (t) todo.push(t);
    } else if (Array.isArray(v)) {
      for (const e of v) todo.push(e);
    } else if (v instanceof Map) {
      for (const [k, e] of v) todo.push(k, e);
    } else if (v instanceof Set) {
      for (const e of v) todo.push(e);
    } else if (isPlain(v)) {
      for (const k of Object.keys(v)) todo.push((v as Record<string, unknown>)[k]);
    }
  }
  return out;
}

/**
 * Runs `fn` and releases the kernel outputs and gradients made inside it that its result does not hold.
 * Tensors the result holds belong to the enclosing scope afterwards (or to none at the outermost level).
 * When fn throws, everything made inside is released and the error passes on.
 */
export function tidy<T>(fn: () => T): T {
  const mine: ScopedStorage[] = [];
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const s of mine) if (!kept.has(s)) s.release(true);
    throw e;
  }
  scopes.pop();
  const parent = scopes[scopes.length - 1];
  if (result instanceof Promise || (typeof result === 'object' && result !== null && 'then' in result)) {
    // An async fn is still using what it made: nothing is released (its storages stay with the parent).
    parent?.push(...mine);
    throw new RuntimeError(
      'tidy() takes a synchronous function (it returned a Promise); release with dispose() instead',
    );
  }
  const held = heldStorages(result, true);
  for (const s of mine) {
    if (kept.has(s)) continue;
    if (!held || held.has(s)) parent?.push(s);
    else s.release(true);
  }
  return result;
}

/** Exempts `t`'s storage from every scope (it lives until disposed or collected). Returns t. */
export function keep<T extends TensorLike>(t: T): T {
  kept.add(t.storage);
  return t;
}

/**
 * Releases the storages of the tensors in `value` (a tensor, or arrays / Maps / Sets / plain objects of
 * them) now, whatever made them. The caller promises no other tensor shares them; one that does refuses
 * to be read afterwards.
 */
export function dispose(value: unknown): void {
  const held = heldStorages(value, false);
  if (!held) throw new RuntimeError(`dispose(): the value holds more than ${MAX_WALK} objects`);
  for (const s of held) s.release();
}

/** How many scopes are open (for tests and diagnostics). */
export function scopeDepth(): number {
  return scopes.length;
}
