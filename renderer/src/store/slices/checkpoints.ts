/**
 * The checkpoint slices: the open file and its tensor table, a stack built from its BatchNorm layers,
 * and loading one of its state dicts into the stack (preview, report) or exporting the stack's.
 */
import type { CheckpointView, LoadPreview, LoadReport, TensorRow } from '../../../../app/shared/contract';
import { newJobId, type SliceKit } from '../kit';

/** The host returns at most this many tensor rows per call (the table asks for more as it scrolls). */
const PAGE_LIMIT = 5000;

export interface CheckpointSlice {
  checkpoint: CheckpointView | null;
  checkpointRows: { total: number; rows: TensorRow[]; filter: string } | null;
  checkpointError: string | null;
  checkpointJob: string | null;
  openCheckpoint(path: string, tensorsOnly: boolean): Promise<void>;
  /** Browser mode: a file being uploaded (name, bytes sent, size). */
  upload: { name: string; done: number; total: number } | null;
  /** Paths of the host's copies of uploaded files (removed when their checkpoint closes). */
  uploads: string[];
  /** Paths opened before, newest first (the host's paths; uploads are not kept). */
  recentFiles: string[];
  /** Browser mode: sends `file` to the host and opens the copy. */
  uploadAndOpen(file: File): Promise<void>;
  loadTensorRows(filter: string, upTo: number): Promise<void>;
  stackNotes: string[];
  buildStackFromCheckpoint(): Promise<void>;
}

export interface LoadSlice {
  loadPreview: LoadPreview | null;
  loadReport: LoadReport | null;
  loadError: string | null;
  exported: string | null;
  previewLoad(stateDictPath: string): Promise<void>;
  loadIntoStack(stateDictPath: string, strict: boolean): Promise<void>;
  exportStateDict(path: string, format: 'pt' | 'safetensors'): Promise<void>;
}

export function checkpointSlice({
  set,
  get,
  client,
  attempt,
  modelChanged,
  uploader,
  recentStore,
}: SliceKit): CheckpointSlice {
  const remember = (path: string) => {
    if (get().uploads.includes(path)) return;
    const recentFiles = [path, ...get().recentFiles.filter((p) => p !== path)].slice(0, 8);
    recentStore.save(recentFiles);
    set({ recentFiles });
  };
  const discardIfUpload = (path: string) => {
    if (!uploader || !get().uploads.includes(path)) return;
    set((s) => ({ uploads: s.uploads.filter((p) => p !== path) }));
    void uploader.discard(path);
  };
  return {
    upload: null,
    uploads: [],
    recentFiles: recentStore.load(),
    async uploadAndOpen(file) {
      if (!uploader) return set({ checkpointError: 'uploads are for browser mode: open the file by its path' });
      set({ upload: { name: file.name, done: 0, total: file.size }, workspace: 'checkpoints' });
      const r = await attempt('checkpointError', () =>
        uploader.upload(file, (done, total) => set({ upload: { name: file.name, done, total } })),
      );
      set({ upload: null });
      if (!r) return;
      set((s) => ({ uploads: [...s.uploads, r.path] }));
      await get().openCheckpoint(r.path, false);
    },
    checkpoint: null,
    checkpointRows: null,
    checkpointError: null,
    checkpointJob: null,
    async openCheckpoint(path, tensorsOnly) {
      const jobId = newJobId('open');
      set({ checkpointJob: jobId });
      const checkpoint = await attempt('checkpointError', () =>
        client.call('checkpoint.open', { path, jobId, tensorsOnly }),
      );
      set({ checkpointJob: null });
      // Whatever the outcome, the previous file is no longer what the browser shows: a failed open
      // must not leave its tree, table and "load from this file" buttons pointing at the old file.
      const old = get().checkpoint;
      if (old) {
        void client.call('checkpoint.close', { id: old.id }).catch(() => undefined);
        if (old.path !== checkpoint?.path) discardIfUpload(old.path);
      }
      set({ checkpoint: checkpoint ?? null, checkpointRows: null, loadPreview: null, loadReport: null });
      if (!checkpoint) {
        // The retry of a refused file ("Open tensors only") still needs the uploaded copy.
        if (!get().checkpointError?.includes('refused global')) discardIfUpload(path);
        return;
      }
      remember(checkpoint.path);
      await get().loadTensorRows('', 500);
    },
    stackNotes: [],
    async buildStackFromCheckpoint() {
      const ck = get().checkpoint;
      if (!ck) return;
      const r = await attempt('checkpointError', () => client.call('checkpoint.buildStack', { id: ck.id }));
      if (!r) return;
      modelChanged({
        spec: r.spec,
        inputShape: r.inputShape,
        summary: r.summary,
        stackNotes: r.notes,
        syncPreview: null,
        losses: [],
        selectedLayer: r.summary.normLayers[0] ?? null,
        loadPreview: null,
        loadReport: null,
        workspace: 'stack',
      });
      await get().validate();
      const session = await attempt('steppingError', () => client.call('step.state', {}));
      if (session) set({ session });
    },
    async loadTensorRows(filter, upTo) {
      const ck = get().checkpoint;
      if (!ck) return;
      const have = get().checkpointRows;
      const offset = have && have.filter === filter ? have.rows.length : 0;
      if (offset >= upTo) return;
      const page = await attempt('checkpointError', () =>
        client.call('checkpoint.tensors', { id: ck.id, offset, limit: Math.min(PAGE_LIMIT, upTo - offset), filter }),
      );
      if (!page) return;
      set((s) => ({
        checkpointRows: {
          total: page.total,
          filter,
          rows: offset && s.checkpointRows ? [...s.checkpointRows.rows, ...page.rows] : page.rows,
        },
      }));
    },
  };
}

export function loadSlice({ set, get, client, attempt, modelChanged }: SliceKit): LoadSlice {
  const NO_CHECKPOINT = 'open a checkpoint in the Checkpoint browser first';
  return {
    loadPreview: null,
    loadReport: null,
    loadError: null,
    exported: null,
    async previewLoad(stateDictPath) {
      const ck = get().checkpoint;
      if (!ck) return set({ loadError: NO_CHECKPOINT });
      const loadPreview = await attempt('loadError', () =>
        client.call('stateDict.previewLoad', { checkpointId: ck.id, stateDictPath }),
      );
      set({ loadPreview: loadPreview ?? null, loadReport: null });
    },
    async loadIntoStack(stateDictPath, strict) {
      const ck = get().checkpoint;
      if (!ck) return set({ loadError: NO_CHECKPOINT });
      const loadReport = await attempt('loadError', () =>
        client.call('stateDict.load', { checkpointId: ck.id, stateDictPath, strict }),
      );
      set({ loadReport: loadReport ?? null });
      if (loadReport) {
        modelChanged();
        await get().loadStateDictView();
      }
    },
    async exportStateDict(path, format) {
      const r = await attempt('loadError', () => client.call('stateDict.export', { path, format }));
      set({ exported: r ? `saved ${r.path} (${r.bytes.toLocaleString()} bytes)` : null });
    },
  };
}
