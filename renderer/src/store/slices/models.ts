/**
 * The Models slice: one imported network (.onnx), its checkpoint weights, input batch, train/eval
 * passes, train-vs-eval comparison, the inspected BatchNorm, recalibration and SGD training (long jobs
 * with progress and cancel; training's losses arrive live as `modelTrain` events) and export. Files come by typed path, or in browser mode by upload (the host's copy is
 * opened like any path).
 */
import type {
  CompareResult,
  LayerInspection,
  ModelRecalibration,
  ModelStepResult,
  ModelTraining,
  ModelTrainRequest,
  ModelView,
} from '../../../../app/shared/contract';
import { DEFAULT_LR } from '../../../../app/shared/numeric';
import { localRecentAt, newJobId, type RecentStore, type SliceKit } from '../kit';
import { fieldErrorsUnder } from './app';

/** Models opened by path (not uploads: those are the host's temporary copies), newest first. */
const RECENT_MODELS: RecentStore = localRecentAt('normscope.recentModels');

export type ModelFileKind = 'model' | 'weights' | 'input' | 'target';

/** What a person sets for training (the request without its job id and target file). */
export type ModelTrainSettings = Omit<ModelTrainRequest, 'jobId' | 'target'>;

export const DEFAULT_TRAIN_SETTINGS: ModelTrainSettings = {
  loss: 'cross-entropy',
  seed: 0,
  steps: 10,
  lr: DEFAULT_LR,
  momentum: 0,
  weightDecay: 0,
  batchSize: null,
};

/** The training fields' error keys start with this (NumberField errorKey): a field that does not parse blocks Train. */
export const TRAIN_FIELD_PREFIX = 'modelTrain:';

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
  modelTrainSettings: ModelTrainSettings;
  /** The target .npy on the host; null: generated (seeded class indices, or zeros for mse). */
  modelTarget: string | null;
  modelTrainJob: string | null;
  /** The running (or last) training's losses so far, from the host's events; steps in all. */
  modelTrainLive: { steps: number; losses: number[] } | null;
  modelTraining: ModelTraining | null;
  modelTrainError: string | null;
  setModelTrainSettings(s: Partial<ModelTrainSettings>): void;
  setModelTarget(path: string | null): void;
  trainModel(): Promise<void>;
  openModel(path: string): Promise<void>;
  applyModelWeights(path: string): Promise<void>;
  /** One graph input's batch (`input`: its name; absent: the model's only input), from a file or a seed. */
  setModelInput(path: string | null, batch: number, seed: number, input?: string): Promise<void>;
  stepModel(mode: 'train' | 'eval'): Promise<void>;
  compareModel(): Promise<void>;
  inspectModelLayer(path: string): Promise<void>;
  recalibrateModel(batchSize: number): Promise<void>;
  exportModel(path: string): Promise<void>;
  /** Browser mode: uploads a picked or dropped file and uses the copy as the model, weights, target or input (`input`: which). */
  uploadModelFile(file: File, kind: ModelFileKind, input?: string): Promise<void>;
}

/** The live losses after an event carrying steps `from + 1 …` (events arrive in order; `from` places them). */
export const withTrainLosses = (losses: number[], from: number, more: number[]): number[] =>
  from === losses.length ? losses.concat(more) : [...losses.slice(0, from), ...more];

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
    set({
      model,
      modelStep: null,
      modelCompare: null,
      modelInspection: null,
      modelTraining: null,
      modelTrainLive: null,
    });
  };
  client.on('modelTrain', (p) => {
    if (p.jobId !== get().modelTrainJob) return;
    set((s) => ({
      modelTrainLive: { steps: p.steps, losses: withTrainLosses(s.modelTrainLive?.losses ?? [], p.from, p.losses) },
    }));
  });
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
    modelTrainSettings: DEFAULT_TRAIN_SETTINGS,
    modelTarget: null,
    modelTrainJob: null,
    modelTrainLive: null,
    modelTraining: null,
    modelTrainError: null,
    setModelTrainSettings: (t) => set((s) => ({ modelTrainSettings: { ...s.modelTrainSettings, ...t } })),
    setModelTarget: (modelTarget) => set({ modelTarget }),
    async trainModel() {
      if (get().modelJob || get().modelTrainJob) return;
      const bad = fieldErrorsUnder(get().fieldErrors, TRAIN_FIELD_PREFIX);
      if (bad.length) return set({ modelTrainError: `fix the marked field first: ${bad[0]}` });
      const jobId = newJobId('train');
      const settings = get().modelTrainSettings;
      set({
        modelTrainJob: jobId,
        modelTraining: null,
        modelTrainError: null,
        modelTrainLive: { steps: settings.steps, losses: [] },
      });
      const r = await attempt('modelTrainError', () =>
        client.call('model.train', { jobId, target: get().modelTarget, ...settings }),
      );
      set((s) => {
        const jobs = { ...s.jobs };
        delete jobs[jobId];
        return { modelTrainJob: null, jobs };
      });
      if (!r) return;
      // The losses the result carries are all of them (events may have been coalesced).
      set({ modelTraining: r, modelTrainLive: { steps: r.steps, losses: r.losses } });
      if (r.cancelled) return;
      // New weights and statistics: the last pass and the comparison describe the old ones.
      set((s) => ({
        modelStep: null,
        modelCompare: null,
        model: s.model ? { ...s.model, step: r.step, batchNorm: r.batchNorm } : s.model,
      }));
      await refreshInspection();
    },
    async openModel(path) {
      const jobId = newJobId('model');
      set({ modelJob: jobId });
      const model = await attempt('modelError', () => client.call('model.open', { path, jobId }));
      set({ modelJob: null });
      if (model) {
        set({ modelRecal: null, modelExported: null, modelTarget: null });
        remember(path);
      }
      changed(model);
    },
    async applyModelWeights(path) {
      changed(await attempt('modelError', () => client.call('model.weights', { path })));
    },
    async setModelInput(path, batch, seed, input) {
      const req = input === undefined ? { path, batch, seed } : { path, batch, seed, input };
      changed(await attempt('modelError', () => client.call('model.setInput', req)));
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
      set((s) => ({
        modelJob: null,
        modelRecal: r ?? null,
        modelCompare: null,
        model: r && s.model ? { ...s.model, batchNorm: r.batchNorm } : s.model,
      }));
      await refreshInspection();
    },
    async exportModel(path) {
      const format = /\.safetensors$/i.test(path) ? 'safetensors' : 'pt';
      const r = await attempt('modelError', () => client.call('model.export', { path, format }));
      set({ modelExported: r ? `${r.path} (${r.bytes} bytes)` : null });
    },
    async uploadModelFile(file, kind, input) {
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
      else if (kind === 'target') set({ modelTarget: r.path });
      else {
        const fed = get().model?.input.find((i) => input === undefined || i.name === input);
        await get().setModelInput(r.path, fed?.shape[0] ?? 1, 0, input);
      }
    },
  };
}
