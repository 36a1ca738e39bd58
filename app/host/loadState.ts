/**
 * Loading a checkpoint's state dict into the built stack, the way a person should see it first:
 * the key alignment (a wrapper prefix like `module.` stripped or added), the migration plan
 * (version 1 → 2 injects num_batches_tracked), PyTorch's exact strict-mode message (from a trial load
 * into a fresh copy of the stack), and after a real load the coverage report.
 */
import { buildStack, StateDict, type Module } from '../../engine/index.js';
import { saveSafetensors, saveTorch } from '../../engine/index.js';
import { alignKeys, applyMapping, planMigration } from '../../engine/index.js';
import type { AlignmentRow, LoadPreview, LoadReport } from '../shared/contract.js';
import type { StackSpec } from '../shared/stackSpec.js';

/**
 * How a file's keys become the stack's: the layer map of a stack built from this very file (its
 * BatchNorm layers renumbered, other layers left out), else the wrapper-prefix alignment.
 */
export interface Renaming {
  strip: string;
  add: string;
  description: string;
  /** file key → stack key; keys not listed are left out. */
  keys?: ReadonlyMap<string, string>;
}

function rename(sd: StateDict, r: Renaming | null): { renamed: StateDict; leftOut: number } {
  if (!r) return { renamed: sd, leftOut: 0 };
  if (!r.keys) return { renamed: applyMapping(sd, { strip: r.strip, add: r.add }), leftOut: 0 };
  const out = new StateDict();
  let leftOut = 0;
  for (const [k, t] of sd) {
    const to = r.keys.get(k);
    if (to === undefined) leftOut++;
    else out.set(to, t);
  }
  // Metadata follows the layers: `module.bn1` → `0`.
  const prefixes = new Map<string, string>();
  const prefixOf = (k: string) => k.slice(0, Math.max(0, k.lastIndexOf('.')));
  for (const [from, to] of r.keys) prefixes.set(prefixOf(from), prefixOf(to));
  for (const [p, md] of sd.metadata) {
    const to = prefixes.get(p);
    if (to !== undefined) out.metadata.set(to, { ...md });
  }
  return { renamed: out, leftOut };
}

/** The renaming Load applies: `fromFile` when the stack was built from this state dict, else the prefix alignment. */
function renamingFor(model: Module, sd: StateDict, fromFile: Renaming | null): Renaming | null {
  if (fromFile) return fromFile;
  const { mapping } = alignKeys(sd.keys(), model.stateDict().keys());
  if (!mapping.strip && !mapping.add) return null;
  const what = [mapping.strip && `stripped '${mapping.strip}'`, mapping.add && `added '${mapping.add}'`].filter(
    Boolean,
  );
  return {
    ...mapping,
    description: `keys renamed to the stack's: ${what.join(', ')} (PyTorch's load_state_dict does not rename keys)`,
  };
}

const strictTrial = (spec: StackSpec, sd: StateDict): string | null => {
  try {
    buildStack(spec).loadStateDict(sd.copy(), { strict: true }); // a fresh copy: the built stack is untouched
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

/** The BatchNorm modules' own counters, by prefix (what the engine's loading injects, as PyTorch ≥ 2.2). */
function moduleCounters(model: Module): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, t] of model.stateDict())
    if (k === 'num_batches_tracked' || k.endsWith('.num_batches_tracked'))
      out.set(k.slice(0, Math.max(0, k.length - '.num_batches_tracked'.length)), Number(t.item()));
  return out;
}

export function previewLoad(
  model: Module,
  spec: StackSpec,
  sd: StateDict,
  fromFile: Renaming | null = null,
): LoadPreview {
  const renaming = renamingFor(model, sd, fromFile);
  const { renamed, leftOut } = rename(sd, renaming);
  const live = model.stateDict();
  // Only a module that consumes the counter's key injects it (inside its _load_from_state_dict).
  const plan = planMigration(renamed, { direction: 'upgrade', moduleCounters: moduleCounters(model) });
  const steps = plan.steps.filter((s) => s.kind === 'inject-counter' && live.has(s.key));
  const injected = new Set(steps.map((s) => s.key));
  const rows: AlignmentRow[] = [...live.keys()].map((key) => {
    const m = live.get(key)!;
    if (injected.has(key)) return { key, status: 'injected', shapeModel: [...m.shape], shapeFile: [] };
    const f = renamed.get(key);
    if (!f) return { key, status: 'missing', shapeModel: [...m.shape], shapeFile: null };
    const same = f.shape.length === m.shape.length && f.shape.every((d, i) => d === m.shape[i]);
    return { key, status: same ? 'match' : 'shape-mismatch', shapeModel: [...m.shape], shapeFile: [...f.shape] };
  });
  for (const [key, t] of renamed)
    if (!live.has(key)) rows.push({ key, status: 'unexpected', shapeModel: null, shapeFile: [...t.shape] });
  const byPrefix = new Map<string, LoadPreview['migration'][number]>();
  for (const s of steps) {
    const p = byPrefix.get(s.prefix) ?? {
      prefix: s.prefix,
      fromVersion: s.fromVersion,
      toVersion: s.toVersion,
      injected: [],
    };
    p.injected.push({ key: s.key, value: s.value ?? 0 });
    byPrefix.set(s.prefix, p);
  }
  const strictError = strictTrial(spec, sd);
  return {
    rows,
    renaming: renaming && { description: renaming.description, strip: renaming.strip, add: renaming.add, leftOut },
    migration: [...byPrefix.values()],
    strictError,
    strictErrorRenamed: renaming ? strictTrial(spec, renamed) : strictError,
  };
}

export function loadInto(model: Module, sd: StateDict, strict: boolean, fromFile: Renaming | null = null): LoadReport {
  const modelKeys = [...model.stateDict().keys()];
  const { renamed } = rename(sd, renamingFor(model, sd, fromFile));
  // Version-1 counters are injected by each BatchNorm module's own loading, as in PyTorch.
  const r = model.loadStateDict(renamed, { strict }); // throws PyTorch's RuntimeError text when strict fails
  const missing = new Set(r.missingKeys);
  return {
    loaded: modelKeys.filter((k) => !missing.has(k)).length,
    missingKeys: r.missingKeys,
    unexpectedKeys: r.unexpectedKeys,
    coverage: modelKeys.length ? (modelKeys.length - missing.size) / modelKeys.length : 1,
  };
}

/** Saves the stack's state dict atomically; refuses to overwrite an existing file. */
export function exportStateDict(model: Module, path: string, format: 'pt' | 'safetensors'): void {
  const want = format === 'pt' ? /\.(pt|pth|ckpt|bin)$/i : /\.safetensors$/i;
  if (!want.test(path))
    throw new RangeError(
      `a ${format} export needs a file name ending in ${format === 'pt' ? '.pt (or .pth/.ckpt/.bin)' : '.safetensors'}`,
    );
  const sd = model.stateDict();
  if (format === 'pt') saveTorch(path, sd);
  else saveSafetensors(path, sd);
}
