/**
 * State dicts and checkpoints: views, load previews and reports, the checkpoint tree, diffs.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */

export interface StateDictEntry {
  key: string;
  shape: number[];
  dtype: string;
  kind: 'parameter' | 'buffer' | 'tensor';
}

export interface StateDictView {
  entries: StateDictEntry[];
  /** prefix → version ('' is the root). */
  metadata: Array<{ prefix: string; version: number | null }>;
}

export interface CheckpointNode {
  /** Dotted path from the file's root. */
  path: string;
  label: string;
  kind: 'dict' | 'list' | 'tensor' | 'stateDict' | 'scalar' | 'string' | 'placeholder' | 'other';
  /** For scalars/strings: the value as text. For tensors: `dtype [shape]`. */
  detail: string;
  children: CheckpointNode[];
}

export interface TensorRow {
  key: string;
  dtype: string;
  shape: number[];
  /** The engine's summary as is: null where a statistic is undefined (std of one element, an empty tensor). */
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  finite: boolean;
}

export interface NormHealth {
  prefix: string;
  numFeatures: number;
  version: number | null;
  hasNumBatchesTracked: boolean;
  numBatchesTracked: number | null;
  health: string[];
}

export interface CheckpointView {
  id: string;
  path: string;
  format: string;
  tree: CheckpointNode;
  tensorCount: number;
  stateDicts: Array<{ path: string; keys: number; metadata: Array<{ prefix: string; version: number | null }> | null }>;
  batchNorm: NormHealth[];
  warnings: string[];
  /** Globals the unpickler refused (the file opened with tensors only when non-empty). */
  refusedGlobals: string[];
}

export interface AlignmentRow {
  key: string;
  status: 'match' | 'shape-mismatch' | 'missing' | 'unexpected' | 'injected';
  shapeModel: number[] | null;
  shapeFile: number[] | null;
}

export interface LoadPreview {
  rows: AlignmentRow[];
  /**
   * How the file's keys are renamed to the stack's before Load (a wrapper prefix stripped or added,
   * or the layer map of a stack built from this file), or null when they are used as saved.
   */
  renaming: { description: string; strip: string; add: string; leftOut: number } | null;
  /**
   * What the stack's BatchNorm modules inject while loading (PyTorch does it in each module's
   * _load_from_state_dict, so only for keys a module consumes), with the counter value.
   */
  migration: Array<{
    prefix: string;
    fromVersion: number | null;
    toVersion: number;
    injected: Array<{ key: string; value: number }>;
  }>;
  /** PyTorch's exact strict-mode text for load_state_dict of the state dict as saved, or null when it loads. */
  strictError: string | null;
  /** The same for what Load does (after the renaming), or null when strict loading succeeds. */
  strictErrorRenamed: string | null;
}

export interface LoadReport {
  loaded: number;
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Fraction of model keys that received a value. */
  coverage: number;
}

export interface DiffRow {
  key: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  shapeA: number[] | null;
  shapeB: number[] | null;
  dtypeA: string | null;
  dtypeB: string | null;
  maxAbsDiff: number | null;
  relDiff: number | null;
  cosine: number | null;
}

export interface DiffResult {
  rows: DiffRow[];
  prefixes: { a: string; b: string };
  /** BatchNorm prefixes whose running stats did not move between A and B (frozen). */
  frozen: string[];
  /** Per-channel overlays for BatchNorm buffers: key → [A values, B values] (≤ 256 channels). */
  overlays: Array<{ key: string; a: Float32Array; b: Float32Array }>;
}
