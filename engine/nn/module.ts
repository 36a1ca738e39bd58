/**
 * Module: the base of every layer, mirroring torch.nn.Module.
 *
 * A module owns named parameters, buffers (persistent or not) and children, each kept in
 * registration order. `stateDict()` walks them in that order and records each module's version in
 * the metadata; `loadStateDict()` follows PyTorch 1.13's algorithm (per-module `_loadFromStateDict`
 * with local metadata, missing/unexpected keys always computed, strict deciding whether they raise)
 * and raises PyTorch's exact texts.
 */
import { Tensor } from '../tensor/tensor.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';
import { checkedShape, Parameter } from './parameter.js';
import { StateDict, type LocalMetadata } from './stateDict.js';
import { formatSize } from '../tensor/tensor.js';

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Called after a module's forward with its input and output (PyTorch's forward hooks). */
export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => void;

export abstract class Module {
  /** The module class's state-dict version (`_version`); NormBase raises it to 2. */
  static version = 1;

  training = true;
  protected readonly _parameters = new Map<string, Parameter | null>();
  protected readonly _buffers = new Map<string, Tensor | null>();
  protected readonly _nonPersistentBuffers = new Set<string>();
  protected readonly _modules = new Map<string, Module | null>();
  /** Free-form attributes carried across conversions (PyTorch's `qconfig`, for one). */
  qconfig: unknown = undefined;

  private readonly _forwardHooks = new Set<ForwardHook>();

  abstract forward(input: Tensor): Tensor;

  /**
   * Runs forward and then the forward hooks (PyTorch's `module(input)`). Containers call their
   * children through this so hooks see every layer; calling `forward` directly skips hooks.
   */
  call(input: Tensor): Tensor {
    const output = this.forward(input);
    for (const hook of this._forwardHooks) hook(this, input, output);
    return output;
  }

  /** Registers a hook run after every `call`; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
    this._forwardHooks.add(hook);
    return () => this._forwardHooks.delete(hook);
  }

  /** The class name shown in reprs and error messages (`self.__class__.__name__`). */
  getName(): string {
    return this.constructor.name;
  }

  /** The extra text inside the parentheses of this module's repr. */
  extraRepr(): string {
    return '';
  }

  // ---- registration ----

  registerParameter(name: string, param: Parameter | null): void {
    if (this._buffers.has(name) || this._modules.has(name)) {
      throw new RuntimeError(`attribute '${name}' already exists`);
    }
    if (param) param.isParameter = true;
    this._parameters.set(name, param);
  }

  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (this._parameters.has(name) || this._modules.has(name)) {
      throw new RuntimeError(`attribute '${name}' already exists`);
    }
    this._buffers.set(name, tensor);
    if (persistent) this._nonPersistentBuffers.delete(name);
    else this._nonPersistentBuffers.add(name);
  }

  addModule(name: string, module: Module | null): void {
    if (name.includes('.')) throw new RuntimeError(`module name can't contain ".", got: ${name}`);
    if (name === '') throw new RuntimeError('module name can\'t be empty string ""');
    this._modules.set(name, module);
  }

  getParameter(name: string): Parameter | null {
    return this._parameters.get(name) ?? null;
  }

  getBuffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }

  /** Replaces a registered parameter or buffer in place of the old one (keeps registration order). */
  protected setParameter(name: string, p: Parameter | null): void {
    if (p) p.isParameter = true;
    this._parameters.set(name, p);
  }

  protected setBuffer(name: string, t: Tensor | null): void {
    this._buffers.set(name, t);
  }

  // ---- traversal ----

  *namedChildren(): Generator<[string, Module]> {
    for (const [name, m] of this._modules) if (m) yield [name, m];
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every descendant, depth-first, each once. */
  *namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) {
      yield* m.namedModules(prefix ? `${prefix}.${name}` : name, memo);
    }
  }

  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  *namedParameters(prefix = '', recurse = true): Generator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [name, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${name}` : name, p];
      }
    }
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = '', recurse = true): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [name, b] of m._buffers) {
        if (!b || seen.has(b)) continue;
        seen.add(b);
        yield [mp ? `${mp}.${name}` : name, b];
      }
    }
  }

  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }

  isPersistentBuffer(name: string): boolean {
    return this._buffers.has(name) && !this._nonPersistentBuffers.has(name);
  }

  // ---- modes and dtype ----

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's `.grad` (PyTorch ≥ 2.0 sets them to None). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Casts floating parameters and buffers to `dtype` in place; integer buffers (the counter) stay. */
  to(dtype: DType): this {
    for (const m of this.modules()) {
      for (const t of [...m._parameters.values(), ...m._buffers.values()]) {
        if (!t || !isFloating(t.dtype) || t.isUninitialized()) continue;
        const cast = t.to(dtype);
        t.setStorage(cast.data, dtype);
      }
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  // ---- state dict ----

  /** Parameters then persistent buffers, children after, with per-module versions in `metadata`. */
  stateDict(destination = new StateDict(), prefix = ''): StateDict {
    const version = (this.constructor as typeof Module).version;
    destination.metadata.set(prefix.endsWith('.') ? prefix.slice(0, -1) : prefix, { version });
    // Uninitialized placeholders stay themselves (their shape cannot be read), like PyTorch's.
    const entry = (t: Tensor) => (t.isUninitialized() ? t : t.detach());
    for (const [name, p] of this._parameters) if (p) destination.set(prefix + name, entry(p));
    for (const [name, b] of this._buffers) {
      if (b && !this._nonPersistentBuffers.has(name)) destination.set(prefix + name, entry(b));
    }
    for (const [name, child] of this._modules) if (child) child.stateDict(destination, `${prefix}${name}.`);
    return destination;
  }

  /**
   * Copies this module's own entries from `stateDict` (not its children's). Subclasses override it
   * for version migrations (NormBase injects the counter for version < 2) and lazy materialization.
   */
  protected _loadFromStateDict(
    stateDict: Map<string, Tensor>,
    prefix: string,
    _localMetadata: LocalMetadata,
    strict: boolean,
    missingKeys: string[],
    unexpectedKeys: string[],
    errorMsgs: string[],
  ): void {
    const localState = new Map<string, Tensor>();
    for (const [k, v] of this._parameters) if (v) localState.set(k, v);
    for (const [k, v] of this._buffers) if (v && !this._nonPersistentBuffers.has(k)) localState.set(k, v);

    for (const [name, param] of localState) {
      const key = prefix + name;
      const input = stateDict.get(key);
      if (input === undefined) {
        if (strict) missingKeys.push(key);
        continue;
      }
      const isLazy = param.isUninitialized();
      let source = input;
      let inShape = checkedShape(input);
      if (!isLazy && param.shape.length === 0 && inShape.length === 1) {
        source = new Tensor(input.hostView().slice(0, 1), [], input.dtype);
        inShape = [];
      }
      if (!isLazy && !sameShape(inShape, param.shape)) {
        errorMsgs.push(
          `size mismatch for ${key}: copying a param with shape ${formatSize(inShape)} from checkpoint, ` +
            `the shape in current model is ${formatSize(param.shape)}.`,
        );
        continue;
      }
      if (isLazy) continue; // both sides uninitialized: nothing to copy
      param.copy_(source);
    }
    if (strict) {
      for (const key of stateDict.keys()) {
        if (!key.startsWith(prefix)) continue;
        const inputName = key.slice(prefix.length).split('.', 1)[0]!;
        if (!this._modules.has(inputName) && !localState.has(inputName)) unexpectedKeys.push(key);
      }
    }
  }

  /**
   * Loads parameters and buffers from `stateDict` (a StateDict or plain Map) into this module and
   * its descendants. Size mismatches always raise; missing/unexpected keys raise when strict.
   */
  loadStateDict(stateDict: Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const metadata = stateDict instanceof StateDict ? stateDict.metadata : null;
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const errorMsgs: string[] = [];
    const load = (module: Module, local: Map<string, Tensor>, prefix: string): void => {
      const localMetadata = metadata?.get(prefix.slice(0, -1)) ?? {};
      // PyTorch 1.13 always passes strict=True here; the outer `strict` only decides what raises.
      module._loadFromStateDict(local, prefix, localMetadata, true, missingKeys, unexpectedKeys, errorMsgs);
      for (const [name, child] of module._modules) {
        if (!child) continue;
        const childPrefix = `${prefix}${name}.`;
        const childState = new Map<string, Tensor>();
        for (const [k, v] of local) if (k.startsWith(childPrefix)) childState.set(k, v);
        load(child, childState, childPrefix);
      }
    };
    load(this, new Map(stateDict), '');
    if (strict) {
      if (unexpectedKeys.length > 0) {
        errorMsgs.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
      }
      if (missingKeys.length > 0) {
        errorMsgs.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
      }
    }
    if (errorMsgs.length > 0) {
      throw new RuntimeError(`Error(s) in loading state_dict for ${this.getName()}:\n\t${errorMsgs.join('\n\t')}`);
    }
    return { missingKeys, unexpectedKeys };
  }

  // ---- repr ----

  /** PyTorch's module repr: `Name(extra)` or a tree with `(child): …` lines indented by two. */
  toString(): string {
    const extra = this.extraRepr();
    const lines: string[] = [];
    if (extra) lines.push(...extra.split('\n'));
    for (const [name, child] of this._modules) {
      const childRepr = child ? child.toString() : 'None';
      lines.push(`(${name}): ${indentTail(childRepr, 2)}`);
    }
    let main = `${this.getName()}(`;
    if (lines.length) {
      if (extra && !extra.includes('\n') && this._modules.size === 0) main += extra;
      else main += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${main})`;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Indents every line but the first (PyTorch's `_addindent`). */
function indentTail(s: string, n: number): string {
  const parts = s.split('\n');
  if (parts.length === 1) return s;
  const pad = ' '.repeat(n);
  return [parts[0], ...parts.slice(1).map((l) => pad + l)].join('\n');
}
