/**
 * The inspect report (the shape `normscope inspect --json` prints, DESIGN.md): format, every tensor's
 * summary with its full dotted key, the state dicts found with their `_metadata`, the BatchNorm layers
 * with a health scan, and warnings. `headerOnly` skips reading tensor data (shapes and dtypes only; the
 * BatchNorm layers are still listed, with the checks their shapes and dtypes allow). Summaries read
 * each view's distinct storage elements, once per distinct view.
 */
import type { Checkpoint } from '../io/checkpoint.js';
import { refStateDict } from '../io/tree.js';
import { findBatchNormLayers, type BatchNormLayer } from './batchnorm.js';
import { detectPrefix } from './align.js';
import { distinct, summarize, type TensorSummary } from './summary.js';
import { isSupportedDtype, type TensorRef } from '../io/tensorRef.js';

export interface TensorReport {
  key: string;
  dtype: string;
  shape: number[];
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  finite: boolean | null;
}

export interface InspectReport {
  format: string;
  tensors: TensorReport[];
  stateDicts: { path: string; keys: number; metadata: Record<string, { version?: number }> | null; prefix: string }[];
  batchNorm: (BatchNormLayer & { stateDict: string })[];
  warnings: string[];
}

export interface InspectOptions {
  /** Shapes and dtypes only: no tensor data is read. */
  headerOnly?: boolean;
  /** Called after each tensor with (done, total, bytes) — the CLI's progress bar. */
  onProgress?: (done: number, total: number) => void;
}

export function inspectCheckpoint(ck: Checkpoint, opts: InspectOptions = {}): InspectReport {
  const warnings = [...ck.warnings];
  const all = ck.tensors();
  const tensors: TensorReport[] = [];
  // One summary per distinct view: 20,000 references to one tensor cost one scan, not 20,000.
  const summaries = new Map<string, TensorSummary>();
  let done = 0;
  for (const { key, ref } of all) {
    const row: TensorReport = {
      key,
      dtype: ref.dtype,
      shape: [...ref.shape],
      min: null,
      max: null,
      mean: null,
      std: null,
      finite: null,
    };
    if (!opts.headerOnly) {
      if (!isSupportedDtype(ref.dtype)) {
        // A complex or quantized tensor: listed, not summarised (the rest of the file still is).
        warnings.push(`${key}: tensor dtype ${ref.dtype} is not supported (listed without a summary)`);
      } else {
        // Other errors (a corrupt or short storage record, a budget) refuse the file: exit 2.
        const id = viewId(ref);
        let s = summaries.get(id);
        if (!s) {
          s = summarize(distinct(ref, false));
          summaries.set(id, s);
        }
        Object.assign(row, { min: s.min, max: s.max, mean: s.mean, std: s.std, finite: s.finite });
        if (!s.finite) warnings.push(`${key}: ${s.nanCount} NaN and ${s.infCount} inf values`);
      }
    }
    tensors.push(row);
    opts.onProgress?.(++done, all.length);
  }
  const found = ck.stateDicts();
  const stateDicts = found.map((f) => ({
    path: f.path,
    keys: f.keys.length,
    metadata: f.metadata ? Object.fromEntries(f.metadata) : null,
    prefix: detectPrefix(f.keys),
  }));
  const batchNorm: InspectReport['batchNorm'] = [];
  for (const f of found) {
    const r = refStateDict(f);
    const supported = [...r.tensors.values()].every((t) => isSupportedDtype(t.dtype));
    const headerOnly = opts.headerOnly === true || !supported;
    for (const layer of findBatchNormLayers(r.tensors, r.metadata, { headerOnly }))
      batchNorm.push({ ...layer, stateDict: f.path });
  }
  if (found.length === 0 && all.length > 0) warnings.push('no state dict found (tensors are listed by their paths)');
  for (const s of stateDicts)
    if (s.prefix) warnings.push(`state dict '${s.path || '<root>'}' keys carry the wrapper prefix '${s.prefix}'`);
  return { format: ck.format, tensors, stateDicts, batchNorm, warnings };
}

/** A view's identity: its storage object and where it reads. */
const storageIds = new WeakMap<object, number>();
let nextStorageId = 0;
function viewId(ref: TensorRef): string {
  let id = storageIds.get(ref.storage);
  if (id === undefined) storageIds.set(ref.storage, (id = nextStorageId++));
  return `${id}|${ref.storageOffset}|${ref.shape.join(',')}|${ref.stride.join(',')}`;
}
