/**
 * Load coverage: when a checkpoint's state dict is loaded into an engine module, which parameters and
 * buffers came from the file, which kept their initial values, which were injected by the BatchNorm
 * version migration, and what PyTorch's strict load would say. `previewLoad` changes nothing;
 * `loadWithCoverage` loads (via Module.loadStateDict, so PyTorch's exact errors) and reports.
 */
import type { Module } from '../nn/module.js';
import type { StateDict } from '../nn/stateDict.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatSize } from '../tensor/tensor.js';
import { batchNormPrefixes } from './batchnorm.js';

export type CoverageStatus = 'match' | 'shape-mismatch' | 'missing' | 'unexpected' | 'injected';

export interface CoverageRow {
  key: string;
  status: CoverageStatus;
  shapeModel: number[] | null;
  shapeFile: number[] | null;
}

export interface LoadPreview {
  rows: CoverageRow[];
  /** BatchNorm layers whose state is version < 2 without a counter: the module's own counter is kept (seed). */
  migration: { prefix: string; fromVersion: number | null; toVersion: number; injected: string[] }[];
  /** PyTorch's strict-mode error text, or null when a strict load would succeed. */
  strictError: string | null;
}

export interface LoadCoverage {
  loaded: number;
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Fraction of the model's keys that received a value from the file. */
  coverage: number;
  /** Model keys that kept the values they had before the load (missing from the file). */
  keptInitial: string[];
  /** Counters the version migration supplied (the module's own, not the file's). */
  injected: string[];
  rows: CoverageRow[];
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** File shape as the engine's loader sees it (a 1-element 1-d value fits a 0-d counter). */
function fits(model: Tensor, file: Tensor): boolean {
  if (sameShape(model.shape, file.shape)) return true;
  return model.shape.length === 0 && file.shape.length === 1 && file.shape[0] === 1;
}

export function previewLoad(module: Module, sd: Map<string, Tensor>): LoadPreview {
  const model = module.stateDict();
  const fileMeta = (sd as Partial<StateDict>).metadata ?? null;
  const rows: CoverageRow[] = [];
  const migration: LoadPreview['migration'] = [];
  const injected = new Set<string>();
  for (const prefix of batchNormPrefixes(model)) {
    const counter = prefix ? `${prefix}.num_batches_tracked` : 'num_batches_tracked';
    if (!model.has(counter)) continue; // not tracking running stats: no migration
    const version = fileMeta?.get(prefix)?.version;
    if ((version === undefined || version < 2) && !sd.has(counter)) {
      injected.add(counter);
      migration.push({ prefix, fromVersion: version ?? null, toVersion: 2, injected: [counter] });
    }
  }
  const missing: string[] = [];
  const mismatches: string[] = [];
  for (const [key, t] of model) {
    const f = sd.get(key);
    if (injected.has(key)) rows.push({ key, status: 'injected', shapeModel: [...t.shape], shapeFile: null });
    else if (!f) {
      rows.push({ key, status: 'missing', shapeModel: [...t.shape], shapeFile: null });
      missing.push(key);
    } else if (!t.isUninitialized() && !fits(t, f)) {
      rows.push({ key, status: 'shape-mismatch', shapeModel: [...t.shape], shapeFile: [...f.shape] });
      mismatches.push(
        `size mismatch for ${key}: copying a param with shape ${formatSize(f.shape)} from checkpoint, the shape in current model is ${formatSize(t.shape)}.`,
      );
    } else rows.push({ key, status: 'match', shapeModel: [...t.shape], shapeFile: [...f.shape] });
  }
  const unexpected = [...sd.keys()].filter((k) => !model.has(k));
  for (const key of unexpected)
    rows.push({ key, status: 'unexpected', shapeModel: null, shapeFile: [...sd.get(key)!.shape] });
  const msgs: string[] = [];
  if (missing.length) msgs.push(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(', ')}. `);
  if (unexpected.length) msgs.push(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(', ')}. `);
  msgs.push(...mismatches);
  const strictError = msgs.length
    ? `Error(s) in loading state_dict for ${module.getName()}:\n\t${msgs.join('\n\t')}`
    : null;
  return { rows, migration, strictError };
}

/** Loads `sd` into `module` (PyTorch semantics and errors) and reports what came from the file. */
export function loadWithCoverage(
  module: Module,
  sd: Map<string, Tensor>,
  opts: { strict?: boolean } = {},
): LoadCoverage {
  const preview = previewLoad(module, sd);
  const result = module.loadStateDict(sd, { strict: opts.strict ?? true });
  const modelKeys = preview.rows.filter((r) => r.status !== 'unexpected');
  const loaded = modelKeys.filter((r) => r.status === 'match').length;
  return {
    loaded,
    missingKeys: result.missingKeys,
    unexpectedKeys: result.unexpectedKeys,
    coverage: modelKeys.length ? loaded / modelKeys.length : 1,
    keptInitial: modelKeys.filter((r) => r.status === 'missing').map((r) => r.key),
    injected: modelKeys.filter((r) => r.status === 'injected').map((r) => r.key),
    rows: preview.rows,
  };
}
