/**
 * The Models slice: one imported network (.onnx), its checkpoint weights, input batch, train/eval
 * passes, train-vs-eval comparison, the inspected BatchNorm, recalibration (a long job with progress
 * and cancel) and export. Files come by typed path, or in browser mode by upload (the host's copy is
 * opened like any path).
 */
import type {
  CompareResult,
  LayerInspection,
  ModelRecalibration,
  ModelStepResult,
  ModelView,
} from '../../../../app/shared/contract';
import { localRecentAt, newJobId, type RecentStore, type SliceKit } from '../kit';

/** Models opened by path (not uploads: those are the host's temporary copies), newest first. */
const RECENT_MODELS: RecentStore = localRecentAt('normscope.recentModels');

export type ModelFileKind = 'model' | 'weights' | 'input';

export interface ModelsSlice {
  model: ModelView | null;
  modelError: string | null;
  modelStep: ModelStepResult | null;
  modelCompare: CompareResult | null;
  modelInspection: LayerInspection | null;
  modelRecal: ModelRecalibration | null;
  modelJob: string | null;
  modelExported: string | null;
  modelUpload: { name: string; done: number; total: number } | null;
  modelRecent: string[];
  openModel(path: string): Promise<void>;
  applyModelWeights(path: string): Promise<void>;
  setModelInput(path: string | null, batch: number, seed: number): Promise<void>;
  stepModel(mode: 'train' | 'eval'): Promise<void>;
  compareModel(): Promise<void>;
  inspectModelLayer(path: string): Promise<void>;
  recalibrateModel(batchSize: number): Promise<void>;
  exportModel(path: string): Promise<void>;
  /** Browser mode: uploads a picked or dropped file and uses the copy as the model, weights or input. */
  uploadModelFile(file: File, kind: ModelFileKind): Promise<void>;
}

export function modelsSlice(
  { set, get, client, attempt, uploader }: SliceKit,
  recent: RecentStore = RECENT_MODELS,
): ModelsSlice {
  const uploads = new Set<string>();
  const remember = (path: string) => {
    if (uploads.has(path)) return;
    const modelRecent = [path, ...get().modelRecent.filter((p) => p !== path)].slice(0, 8);
    recent.save(modelRecent);
    set({ modelRecent });
  };
  /** After anything that changes the network's numbers: the views that described it are dropped. */
  const changed = (model: ModelView | undefined) => {
    if (!model) return;
    set({ model, modelStep: null, modelCompare: null, modelInspection: null });
  };
  const refreshInspection = async () => {
    const path = get().modelInspection?.path;
    if (path) await get().inspectModelLayer(path);
  };
  return {
    model: null,
    modelError: null,
    modelStep: null,
    modelCompare: null,
    modelInspection: null,
    modelRecal: null,
    modelJob: null,
    modelExported: null,
    modelUpload: null,
    modelRecent: recent.load(),
    async openModel(path) {
      const jobId = newJobId('model');
      set({ modelJob: jobId });
      const model = await attempt('modelError', () => client.call('model.open', { path, jobId }));
      set({ modelJob: null });
      if (model) {
        set({ modelRecal: null, modelExported: null });
        remember(path);
      }
      changed(model);
    },
    async applyModelWeights(path) {
      changed(await attempt('modelError', () => client.call('model.weights', { path })));
    },
    async setModelInput(path, batch, seed) {
      changed(await attempt('modelError', () => client.call('model.setInput', { path, batch, seed })));
    },
    async stepModel(mode) {
      const r = await attempt('modelError', () => client.call('model.step', { mode }));
      if (!r) return;
      set((s) => ({
        modelStep: r,
        modelCompare: null,
        model: s.model ? { ...s.model, step: r.step, batchNorm: r.batchNorm } : s.model,
      }));
      await refreshInspection();
    },
    async compareModel() {
      const c = await attempt('modelError', () => client.call('model.compare', {}));
      if (c) set({ modelCompare: c });
    },
    async inspectModelLayer(path) {
      const i = await attempt('modelError', () => client.call('model.inspect', { path }));
      if (i) set({ modelInspection: i });
    },
    async recalibrateModel(batchSize) {
      const jobId = newJobId('recalibrate');
      set({ modelJob: jobId, modelRecal: null });
      const r = await attempt('modelError', () => client.call('model.recalibrate', { jobId, batchSize }));
      set({ modelJob: null, modelRecal: r ?? null, modelCompare: null });
      await refreshInspection();
    },
    async exportModel(path) {
      const format = /\.safetensors$/i.test(path) ? 'safetensors' : 'pt';
      const r = await attempt('modelError', () => client.call('model.export', { path, format }));
      set({ modelExported: r ? `${r.path} (${r.bytes} bytes)` : null });
    },
    async uploadModelFile(file, kind) {
      if (!uploader) return set({ modelError: 'uploads are for browser mode: type the file’s path' });
      set({ modelUpload: { name: file.name, done: 0, total: file.size } });
      const r = await attempt('modelError', () =>
        uploader.upload(file, (done, total) => set({ modelUpload: { name: file.name, done, total } })),
      );
      set({ modelUpload: null });
      if (!r) return;
      uploads.add(r.path);
      if (kind === 'model') await get().openModel(r.path);
      else if (kind === 'weights') await get().applyModelWeights(r.path);
      else {
        const m = get().model;
        await get().setModelInput(r.path, m?.input?.shape[0] ?? 1, 0);
      }
    },
  };
}
