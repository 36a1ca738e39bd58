/**
 * A module's state set aside and put back: the one way the engine and the app copy model state.
 * Stepping's snapshots and its train/eval comparison, a rank's step rolled back on failure, and the
 * imported-model jobs (training, recalibration) that leave nothing changed when cancelled or failed
 * all take a StateCopy.
 *
 * The copies are clones (on the device when the values are there), keyed by the names
 * `namedParameters()` and `namedBuffers()` give, which are the state dict's keys. Three ways back:
 * - `restore()` writes each copy into the tensor it was taken from, so the module keeps its tensor
 *   objects and an optimizer or a view holding them keeps working;
 * - `restoreInto(m, { strict: true })` is PyTorch's `load_state_dict(copy, strict=True)`: every key,
 *   the same shapes, `num_batches_tracked` included, or its RuntimeError;
 * - `restoreInto(m, { strict: false })` puts back, by key, every entry the module still has with the
 *   same number of elements and skips the rest: a module rebuilt from its spec takes the buffers of the
 *   old one, and a lazy layer materialized since the copy keeps its new parameters.
 */
import { noGrad, type Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { StateDict, type LocalMetadata } from './stateDict.js';

/** Which tensors a copy takes: parameters and buffers, or the buffers only (running statistics, counters). */
export type StatePart = 'all' | 'buffers';

interface Saved {
  key: string;
  live: Tensor;
  copy: Tensor;
}

/** Lazy modules' placeholders hold no values: they are kept as they are, never cloned or written. */
const copyOf = (t: Tensor): Tensor => (t.isUninitialized() ? t : t.clone());

export class StateCopy {
  private constructor(
    private readonly saved: Saved[],
    /** The state dict's keys in its order (non-persistent buffers are copied but not in it). */
    private readonly stateKeys: string[],
    private readonly metadata: Map<string, LocalMetadata>,
  ) {}

  /** Every parameter and buffer of `module` (or its buffers only), by state-dict key. */
  static of(module: Module, part: StatePart = 'all'): StateCopy {
    const sd = module.stateDict();
    const saved: Saved[] = [];
    if (part === 'all') for (const [key, p] of module.namedParameters()) saved.push({ key, live: p, copy: copyOf(p) });
    for (const [key, b] of module.namedBuffers()) saved.push({ key, live: b, copy: copyOf(b) });
    const taken = new Set(saved.map((s) => s.key));
    return new StateCopy(
      saved,
      [...sd.keys()].filter((k) => taken.has(k)),
      sd.metadata,
    );
  }

  /** Copies of the given tensors only (a job that changes just these); `restore()` puts them back. */
  static ofTensors(tensors: Iterable<Tensor>): StateCopy {
    const saved = [...tensors].map((live, i) => ({ key: String(i), live, copy: copyOf(live) }));
    return new StateCopy(saved, [], new Map());
  }

  /** How many tensors were copied. */
  get size(): number {
    return this.saved.length;
  }

  /** Writes every copy back into the tensor it was taken from (the same objects stay in the module). */
  restore(): void {
    noGrad(() => {
      for (const { live, copy } of this.saved) if (fits(live, copy)) live.copy_(copy);
    });
  }

  /** Puts the copy back into `module` by key; see the file's comment for strict and not. */
  restoreInto(module: Module, opts: { strict: boolean }): void {
    if (opts.strict) {
      noGrad(() => module.loadStateDict(this.stateDict(), { strict: true }));
      return;
    }
    const live = new Map<string, Tensor>([...module.namedParameters(), ...module.namedBuffers()]);
    noGrad(() => {
      for (const { key, copy } of this.saved) {
        const t = live.get(key);
        if (t && fits(t, copy)) t.copy_(copy);
      }
    });
  }

  /** The copies as a state dict: the module's keys in its order, with its metadata (versions). */
  stateDict(): StateDict {
    const byKey = new Map(this.saved.map((s) => [s.key, s.copy]));
    return new StateDict(
      this.stateKeys.map((k) => [k, byKey.get(k)!] as const),
      this.metadata,
    );
  }
}

/** Both hold values, as many of them: a copy that can be written back. */
function fits(live: Tensor, copy: Tensor): boolean {
  return !live.isUninitialized() && !copy.isUninitialized() && live.numel() === copy.numel();
}
