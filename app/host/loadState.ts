/**
 * Loading a checkpoint's state dict into the built stack, the way a person should see it first:
 * the key alignment (a wrapper prefix like `module.` stripped or added), the migration plan
 * (version 1 → 2 injects num_batches_tracked), PyTorch's exact strict-mode message (from a trial load
 * into a fresh copy of the stack), and after a real load the coverage report.
 */
import { buildStack, type Module, type StateDict } from '../../engine/index.js';
import { saveSafetensors, saveTorch } from '../../engine/io/index.js';
import { alignKeys, applyMapping, applyMigration, planMigration } from '../../engine/inspect/index.js';
import type { AlignmentRow, LoadPreview, LoadReport } from '../shared/contract.js';
import type { StackSpec } from '../shared/stackSpec.js';

/** The file's state dict renamed to the model's keys and migrated to version 2, with the plan. */
function prepare(model: Module, sd: StateDict) {
  const modelKeys = [...model.stateDict().keys()];
  const align = alignKeys(sd.keys(), modelKeys);
  const mapped = applyMapping(sd, align.mapping);
  const plan = planMigration(mapped, { direction: 'upgrade' });
  return { modelKeys, align, migrated: applyMigration(mapped, plan), plan };
}

export function previewLoad(model: Module, spec: StackSpec, sd: StateDict): LoadPreview {
  const { modelKeys, migrated, plan } = prepare(model, sd);
  const live = model.stateDict();
  const injected = new Set(plan.steps.filter((s) => s.kind === 'inject-counter').map((s) => s.key));
  const rows: AlignmentRow[] = modelKeys.map((key) => {
    const f = migrated.get(key);
    const m = live.get(key)!;
    if (!f) return { key, status: 'missing', shapeModel: [...m.shape], shapeFile: null };
    const same = f.shape.length === m.shape.length && f.shape.every((d, i) => d === m.shape[i]);
    return {
      key,
      status: injected.has(key) ? 'injected' : same ? 'match' : 'shape-mismatch',
      shapeModel: [...m.shape],
      shapeFile: [...f.shape],
    };
  });
  for (const [key, t] of migrated)
    if (!live.has(key)) rows.push({ key, status: 'unexpected', shapeModel: null, shapeFile: [...t.shape] });
  let strictError: string | null = null;
  try {
    buildStack(spec).loadStateDict(migrated, { strict: true }); // a fresh copy: the built stack is untouched
  } catch (e) {
    strictError = (e as Error).message;
  }
  const byPrefix = new Map<string, LoadPreview['migration'][number]>();
  for (const s of plan.steps) {
    const p = byPrefix.get(s.prefix) ?? {
      prefix: s.prefix,
      fromVersion: s.fromVersion,
      toVersion: s.toVersion,
      injected: [],
    };
    if (s.kind === 'inject-counter') p.injected.push(s.key);
    byPrefix.set(s.prefix, p);
  }
  return { rows, migration: [...byPrefix.values()], strictError };
}

export function loadInto(model: Module, sd: StateDict, strict: boolean): LoadReport {
  const { modelKeys, migrated } = prepare(model, sd);
  const r = model.loadStateDict(migrated, { strict }); // throws PyTorch's RuntimeError text when strict fails
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
