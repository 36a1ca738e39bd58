/**
 * Open checkpoints in the host: the file's object tree, every tensor's summary, the BatchNorm health
 * scan (engine/inspect's report), and diffs of two files. Files are opened by path (dialogs, drops and
 * the command line in Electron; a typed path in browser mode) and never executed: the engine's
 * unpickler refuses unknown globals unless "tensors only" (placeholders) is asked for.
 */
import { basename } from 'node:path';
import { loadCheckpoint, refStateDict, type Checkpoint } from '../../engine/index.js';
import { diffStateDicts, inspectCheckpoint, treeView, type InspectReport } from '../../engine/index.js';
import type { CheckpointView, DiffResult, TensorRow } from '../shared/contract.js';
import { CancelledError } from './errors.js';

interface Open {
  ck: Checkpoint;
  view: CheckpointView;
  report: InspectReport;
}

export class CheckpointStore {
  private readonly open = new Map<string, Open>();
  private next = 1;

  openFile(
    path: string,
    tensorsOnly: boolean,
    progress: (done: number, total: number) => void,
    cancelled: () => boolean = () => false,
  ): CheckpointView {
    const ck = loadCheckpoint(path, { placeholders: tensorsOnly });
    let last = 0;
    let report: InspectReport;
    try {
      report = inspectCheckpoint(ck, {
        onProgress: (done, total) => {
          if (cancelled())
            throw new CancelledError(`opening ${basename(path)} was cancelled after ${done} of ${total} tensors`);
          const now = performance.now();
          if (now - last > 100 || done === total) {
            last = now;
            progress(done, total);
          }
        },
      });
    } catch (e) {
      ck.close();
      throw e;
    }
    const id = `ck${this.next++}`;
    const sdPaths = new Set(report.stateDicts.map((s) => s.path));
    const view: CheckpointView = {
      id,
      path,
      format: report.format,
      tree: treeView(ck.root, { label: basename(path), stateDictPaths: sdPaths }),
      tensorCount: report.tensors.length,
      stateDicts: report.stateDicts.map((s) => ({
        path: s.path,
        keys: s.keys,
        metadata: s.metadata
          ? Object.entries(s.metadata).map(([prefix, m]) => ({ prefix, version: m.version ?? null }))
          : null,
      })),
      batchNorm: report.batchNorm.map((b) => ({
        prefix: b.stateDict ? `${b.stateDict}.${b.prefix}` : b.prefix,
        numFeatures: b.numFeatures,
        version: b.version,
        hasNumBatchesTracked: b.hasNumBatchesTracked,
        numBatchesTracked: b.numBatchesTracked,
        health: b.health,
      })),
      warnings: report.warnings,
      refusedGlobals: [...new Set(ck.placeholders)],
    };
    this.open.set(id, { ck, view, report });
    return view;
  }

  get(id: string): Open {
    const o = this.open.get(id);
    if (!o) throw new RangeError(`no open checkpoint with id ${JSON.stringify(id)} (open it again)`);
    return o;
  }

  tensors(id: string, offset: number, limit: number, filter: string): { total: number; rows: TensorRow[] } {
    const f = filter.toLowerCase();
    const all = this.get(id).report.tensors.filter((t) => !f || t.key.toLowerCase().includes(f));
    const rows = all.slice(offset, offset + limit).map((t) => ({
      key: t.key,
      dtype: t.dtype,
      shape: t.shape,
      // null stays null (the CLI prints it as —, and so does the window), never NaN.
      min: t.min,
      max: t.max,
      mean: t.mean,
      std: t.std,
      finite: t.finite ?? false,
    }));
    return { total: all.length, rows };
  }

  close(id: string): boolean {
    const o = this.open.get(id);
    o?.ck.close();
    return this.open.delete(id);
  }
}

/** Diff of the first (most likely model) state dicts of two files, with per-channel BatchNorm overlays. */
export function diffFiles(a: string, b: string, stripPrefix: string | null): DiffResult {
  const ca = loadCheckpoint(a);
  try {
    const cb = loadCheckpoint(b);
    try {
      const d = diffStateDicts(refStateDict(ca.found()).tensors, refStateDict(cb.found()).tensors, {
        stripPrefix: stripPrefix ?? 'auto',
      });
      // Keys without per-tensor numbers: added/removed have none, unchanged ones differ by exactly 0.
      const bare = (key: string, status: 'added' | 'removed' | 'unchanged') => ({
        key,
        status,
        shapeA: null,
        shapeB: null,
        dtypeA: null,
        dtypeB: null,
        maxAbsDiff: status === 'unchanged' ? 0 : null,
        relDiff: status === 'unchanged' ? 0 : null,
        cosine: null,
      });
      const rows: DiffResult['rows'] = [
        ...d.added.map((key) => bare(key, 'added')),
        ...d.removed.map((key) => bare(key, 'removed')),
        ...d.changed.map((c) => ({ ...c, status: 'changed' as const })),
        ...d.unchangedKeys.map((key) => bare(key, 'unchanged')),
      ];
      return {
        rows,
        prefixes: d.prefixes,
        frozen: d.frozen,
        overlays: d.channels.map((c) => ({ key: c.key, a: Float32Array.from(c.a), b: Float32Array.from(c.b) })),
      };
    } finally {
      cb.close();
    }
  } finally {
    ca.close();
  }
}
