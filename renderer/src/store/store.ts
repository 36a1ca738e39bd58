/**
 * The window's one store (zustand 5, vanilla + a React hook): slices per workspace, actions in the
 * store, components read with atomic selectors. Every action that calls the host records its error
 * in the slice it belongs to, so the workspace shows it where it happened.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AppInfo,
  BackendsView,
  BenchRow,
  CheckpointView,
  CompareResult,
  ContractClient,
  DiffResult,
  InputConfig,
  LayerInspection,
  LoadPreview,
  LoadReport,
  RanksState,
  SessionState,
  StackSummary,
  StackValidation,
  StateDictView,
  StepResult,
  SyncConversionPreview,
  TensorRow,
} from '../../../app/shared/contract';
import type { LayerSpec, LayerType, StackSpec } from '../../../app/shared/stackSpec';
import * as edit from './specEdit';

export type WorkspaceId =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends';
export type Theme = 'dark' | 'light';
export interface Job {
  done: number;
  total: number;
  label: string;
}

export interface AppState {
  // app
  info: AppInfo | null;
  infoError: string | null;
  connection: 'connecting' | 'open' | 'closed';
  theme: Theme;
  workspace: WorkspaceId;
  jobs: Record<string, Job>;
  init(): Promise<void>;
  setTheme(t: Theme): void;
  setWorkspace(w: WorkspaceId): void;
  setConnection(c: AppState['connection']): void;
  /** Asks the host to stop a long job (its flag reaches the worker even while it is busy). */
  cancelJob(jobId: string | null): Promise<void>;
  /** Electron: a file dialog in main (the chosen file becomes usable); null when cancelled. */
  chooseFile(purpose: 'open' | 'save'): Promise<string | null>;

  // stack builder
  spec: StackSpec;
  inputShape: number[];
  validation: StackValidation | null;
  summary: StackSummary | null;
  syncPreview: SyncConversionPreview | null;
  stackBusy: boolean;
  stackError: string | null;
  loadPreset(name: string): Promise<void>;
  addLayer(type: LayerType, parent?: string): Promise<void>;
  removeLayer(path: string): Promise<void>;
  moveLayer(path: string, delta: -1 | 1): Promise<void>;
  updateLayer(path: string, patch: Partial<LayerSpec>): Promise<void>;
  setInputShape(shape: number[]): Promise<void>;
  validate(): Promise<void>;
  build(): Promise<void>;
  previewSync(): Promise<void>;
  applySync(): Promise<void>;

  // stepping
  session: SessionState | null;
  lastStep: StepResult | null;
  losses: number[];
  lr: number;
  runSteps: number;
  runJob: string | null;
  lastRun: { steps: number; stepsPerSecond: number; cancelled: boolean } | null;
  compare: CompareResult | null;
  steppingError: string | null;
  setLr(lr: number): void;
  setRunSteps(n: number): void;
  setInput(cfg: InputConfig): Promise<void>;
  setMode(training: boolean): Promise<void>;
  forward(): Promise<void>;
  trainStep(): Promise<void>;
  runN(): Promise<void>;
  cancelRun(): Promise<void>;
  reset(what: 'stats' | 'params' | 'all'): Promise<void>;
  snapshot(): Promise<void>;
  rollback(): Promise<void>;
  runCompare(): Promise<void>;

  // layer inspector
  selectedLayer: string | null;
  inspection: LayerInspection | null;
  inspectorError: string | null;
  selectLayer(path: string): Promise<void>;

  // state dict
  stateDict: StateDictView | null;
  stateDictError: string | null;
  loadStateDictView(): Promise<void>;

  // checkpoints
  checkpoint: CheckpointView | null;
  checkpointRows: { total: number; rows: TensorRow[]; filter: string } | null;
  checkpointError: string | null;
  checkpointJob: string | null;
  openCheckpoint(path: string, tensorsOnly: boolean): Promise<void>;
  loadTensorRows(filter: string, upTo: number): Promise<void>;
  stackNotes: string[];
  buildStackFromCheckpoint(): Promise<void>;

  // loading a checkpoint's state dict into the stack; exporting the stack's
  loadPreview: LoadPreview | null;
  loadReport: LoadReport | null;
  loadError: string | null;
  exported: string | null;
  previewLoad(stateDictPath: string): Promise<void>;
  loadIntoStack(stateDictPath: string, strict: boolean): Promise<void>;
  exportStateDict(path: string, format: 'pt' | 'safetensors'): Promise<void>;

  // diff
  diff: DiffResult | null;
  diffError: string | null;
  diffJob: string | null;
  runDiff(a: string, b: string, stripPrefix: string | null): Promise<void>;

  // ranks
  ranks: RanksState | null;
  ranksError: string | null;
  startRanks(worldSize: number, shards: number[], subgroups: number[][]): Promise<void>;
  stepRanks(): Promise<void>;
  killRank(rank: number): Promise<void>;
  restartRanks(): Promise<void>;
  ranksBusy: boolean;
  stopRanks(): Promise<void>;

  // backends
  backends: BackendsView | null;
  bench: BenchRow[] | null;
  benchJob: string | null;
  backendsError: string | null;
  loadBackends(): Promise<void>;
  chooseBackend(name: string): Promise<void>;
  runBench(): Promise<void>;
}

const message = (e: unknown): string => {
  const err = e as { name?: string; message?: string };
  return err?.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : (err?.message ?? String(e));
};

let jobCounter = 0;
const newJobId = (kind: string): string => `${kind}-${Date.now().toString(36)}-${++jobCounter}`;

export type AppStore = StoreApi<AppState>;

export function createAppStore(client: ContractClient, opts: { theme?: Theme } = {}): AppStore {
  const preset = edit.PRESETS['MLP (BatchNorm1d)']!;
  return createStore<AppState>()((set, get) => {
    /** Runs a host call, storing its error under `errorKey` (cleared on success). */
    const attempt = async <T>(errorKey: keyof AppState, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        const v = await fn();
        set({ [errorKey]: null } as Partial<AppState>);
        return v;
      } catch (e) {
        set({ [errorKey]: message(e) } as Partial<AppState>);
        return undefined;
      }
    };
    const setSpec = async (spec: StackSpec) => {
      set({ spec, syncPreview: null });
      await get().validate();
    };

    client.on('progress', (p) =>
      set((s) => ({ jobs: { ...s.jobs, [p.jobId]: { done: p.done, total: p.total, label: p.label } } })),
    );
    client.on('step', (r) =>
      set((s) => ({ lastStep: r, losses: r.loss === null ? s.losses : [...s.losses.slice(-499), r.loss] })),
    );
    client.on('ranks', (r) => set({ ranks: r }));
    client.on('open', ({ path }) => {
      set({ workspace: 'checkpoints' });
      void get().openCheckpoint(path, false);
    });

    return {
      info: null,
      infoError: null,
      connection: 'connecting',
      theme: opts.theme ?? 'dark',
      workspace: 'stack',
      jobs: {},
      async init() {
        const info = await attempt('infoError', () => client.call('app.info', {}));
        if (info) set({ info });
        await get().validate();
      },
      setTheme: (theme) => set({ theme }),
      setWorkspace: (workspace) => set({ workspace }),
      setConnection: (connection) => set({ connection }),
      async chooseFile(purpose) {
        const r = await attempt('infoError', () => client.call('files.choose', { purpose }));
        return r?.path ?? null;
      },
      async cancelJob(jobId) {
        if (jobId) await client.call('job.cancel', { jobId }).catch(() => undefined);
      },

      spec: preset.spec,
      inputShape: preset.inputShape,
      validation: null,
      summary: null,
      syncPreview: null,
      stackBusy: false,
      stackError: null,
      async loadPreset(name) {
        const p = edit.PRESETS[name];
        if (!p) return;
        set({ inputShape: p.inputShape });
        await setSpec(p.spec);
      },
      async addLayer(type, parent = '') {
        const v = get().validation;
        const last = v?.outputShape ?? null;
        const channels = last && last.length > 1 ? last[1]! : last ? last[0]! : null;
        await setSpec(edit.addLayer(get().spec, edit.defaultLayer(type, channels), parent));
      },
      removeLayer: (path) => setSpec(edit.removeLayer(get().spec, path)),
      moveLayer: (path, delta) => setSpec(edit.moveLayer(get().spec, path, delta)),
      updateLayer: (path, patch) => setSpec(edit.updateLayer(get().spec, path, patch)),
      async setInputShape(inputShape) {
        set({ inputShape });
        await get().validate();
      },
      async validate() {
        const { spec, inputShape } = get();
        const validation = await attempt('stackError', () => client.call('stack.validate', { spec, inputShape }));
        if (validation) set({ validation });
      },
      async build() {
        const { spec, inputShape } = get();
        set({ stackBusy: true });
        const summary = await attempt('stackError', () => client.call('stack.build', { spec, inputShape, seed: 0 }));
        set({ stackBusy: false });
        if (summary) {
          set({
            stackNotes: [],
            summary,
            lastStep: null,
            losses: [],
            compare: null,
            inspection: null,
            selectedLayer: summary.normLayers[0] ?? null,
            stateDict: null,
          });
          const session = await attempt('steppingError', () => client.call('step.state', {}));
          if (session) set({ session });
        }
      },
      async previewSync() {
        const syncPreview = await attempt('stackError', () => client.call('stack.previewSync', { spec: get().spec }));
        if (syncPreview) set({ syncPreview });
      },
      async applySync() {
        const p = get().syncPreview;
        if (p) await setSpec(p.spec);
      },

      session: null,
      lastStep: null,
      losses: [],
      lr: 0.05,
      runSteps: 100,
      runJob: null,
      lastRun: null,
      compare: null,
      steppingError: null,
      setLr: (lr) => set({ lr }),
      setRunSteps: (runSteps) => set({ runSteps }),
      async setInput(cfg) {
        const session = await attempt('steppingError', () => client.call('step.setInput', cfg));
        if (session) set({ session });
      },
      async setMode(training) {
        const session = await attempt('steppingError', () => client.call('step.setMode', { training }));
        if (session) set({ session });
      },
      async forward() {
        const r = await attempt('steppingError', () => client.call('step.forward', {}));
        if (r) set((s) => ({ lastStep: r, session: s.session && { ...s.session, step: r.step } }));
      },
      async trainStep() {
        const r = await attempt('steppingError', () => client.call('step.train', { lr: get().lr }));
        if (r)
          set((s) => ({
            lastStep: r,
            losses: [...s.losses.slice(-499), r.loss ?? NaN],
            session: s.session && { ...s.session, step: r.step },
          }));
      },
      async runN() {
        if (get().runJob) return;
        const jobId = newJobId('run');
        const train = get().session?.training ?? true;
        set({ runJob: jobId });
        const r = await attempt('steppingError', () =>
          client.call('step.run', { jobId, steps: get().runSteps, lr: get().lr, train }),
        );
        set((s) => {
          const jobs = { ...s.jobs };
          delete jobs[jobId];
          return { runJob: null, jobs };
        });
        if (r) {
          set({
            lastRun: { steps: r.stepsDone, stepsPerSecond: r.stepsPerSecond, cancelled: r.cancelled },
            lastStep: r.last ?? get().lastStep,
          });
          const session = await attempt('steppingError', () => client.call('step.state', {}));
          if (session) set({ session });
        }
      },
      async cancelRun() {
        const jobId = get().runJob;
        if (jobId) await attempt('steppingError', () => client.call('job.cancel', { jobId }));
      },
      async reset(what) {
        const session = await attempt('steppingError', () => client.call('step.reset', { what }));
        if (session) set({ session, lastStep: null, losses: what === 'all' ? [] : get().losses, compare: null });
      },
      async snapshot() {
        const session = await attempt('steppingError', () => client.call('step.snapshot', {}));
        if (session) set({ session });
      },
      async rollback() {
        const session = await attempt('steppingError', () => client.call('step.rollback', {}));
        if (session) set({ session, lastStep: null });
      },
      async runCompare() {
        const compare = await attempt('steppingError', () => client.call('step.compare', {}));
        if (compare) set({ compare });
      },

      selectedLayer: null,
      inspection: null,
      inspectorError: null,
      async selectLayer(path) {
        set({ selectedLayer: path });
        const inspection = await attempt('inspectorError', () => client.call('inspect.layer', { path }));
        set({ inspection: inspection ?? null });
      },

      stateDict: null,
      stateDictError: null,
      async loadStateDictView() {
        const stateDict = await attempt('stateDictError', () => client.call('stateDict.view', {}));
        if (stateDict) set({ stateDict });
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
        if (!checkpoint) return;
        const old = get().checkpoint;
        if (old) void client.call('checkpoint.close', { id: old.id }).catch(() => undefined);
        set({ checkpoint, checkpointRows: null, loadPreview: null, loadReport: null });
        await get().loadTensorRows('', 500);
      },
      stackNotes: [],
      async buildStackFromCheckpoint() {
        const ck = get().checkpoint;
        if (!ck) return;
        const r = await attempt('checkpointError', () => client.call('checkpoint.buildStack', { id: ck.id }));
        if (!r) return;
        set({
          spec: r.spec,
          inputShape: r.inputShape,
          summary: r.summary,
          stackNotes: r.notes,
          syncPreview: null,
          lastStep: null,
          losses: [],
          compare: null,
        });
        set({ selectedLayer: r.summary.normLayers[0] ?? null, stateDict: null, workspace: 'stack' });
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
          client.call('checkpoint.tensors', { id: ck.id, offset, limit: Math.min(5000, upTo - offset), filter }),
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

      loadPreview: null,
      loadReport: null,
      loadError: null,
      exported: null,
      async previewLoad(stateDictPath) {
        const ck = get().checkpoint;
        if (!ck) return set({ loadError: 'open a checkpoint in the Checkpoint browser first' });
        const loadPreview = await attempt('loadError', () =>
          client.call('stateDict.previewLoad', { checkpointId: ck.id, stateDictPath }),
        );
        set({ loadPreview: loadPreview ?? null, loadReport: null });
      },
      async loadIntoStack(stateDictPath, strict) {
        const ck = get().checkpoint;
        if (!ck) return set({ loadError: 'open a checkpoint in the Checkpoint browser first' });
        const loadReport = await attempt('loadError', () =>
          client.call('stateDict.load', { checkpointId: ck.id, stateDictPath, strict }),
        );
        set({ loadReport: loadReport ?? null });
        if (loadReport) await get().loadStateDictView();
      },
      async exportStateDict(path, format) {
        const r = await attempt('loadError', () => client.call('stateDict.export', { path, format }));
        set({ exported: r ? `saved ${r.path} (${r.bytes.toLocaleString()} bytes)` : null });
      },

      diff: null,
      diffError: null,
      diffJob: null,
      async runDiff(a, b, stripPrefix) {
        const jobId = newJobId('diff');
        set({ diffJob: jobId });
        const diff = await attempt('diffError', () => client.call('diff.run', { a, b, stripPrefix, jobId }));
        set({ diffJob: null, diff: diff ?? get().diff });
      },

      ranks: null,
      ranksError: null,
      ranksBusy: false,
      async startRanks(worldSize, shards, subgroups) {
        set({ ranksBusy: true });
        const r = await attempt('ranksError', () => client.call('ranks.start', { worldSize, shards, subgroups }));
        set({ ranksBusy: false, ranks: r ?? get().ranks });
      },
      async stepRanks() {
        set({ ranksBusy: true });
        const r = await attempt('ranksError', () => client.call('ranks.step', {}));
        set({ ranksBusy: false, ranks: r ?? get().ranks });
      },
      async killRank(rank) {
        const r = await attempt('ranksError', () => client.call('ranks.kill', { rank }));
        if (r) set({ ranks: r });
      },
      async restartRanks() {
        set({ ranksBusy: true });
        const r = await attempt('ranksError', () => client.call('ranks.restart', {}));
        set({ ranksBusy: false, ranks: r ?? get().ranks });
      },
      async stopRanks() {
        const r = await attempt('ranksError', () => client.call('ranks.stop', {}));
        if (r) set({ ranks: r });
      },

      backends: null,
      bench: null,
      benchJob: null,
      backendsError: null,
      async loadBackends() {
        const backends = await attempt('backendsError', () => client.call('backend.info', {}));
        if (backends) set({ backends });
      },
      async chooseBackend(name) {
        const backends = await attempt('backendsError', () => client.call('backend.set', { name }));
        if (backends) set({ backends });
      },
      async runBench() {
        const jobId = newJobId('bench');
        set({ benchJob: jobId });
        const r = await attempt('backendsError', () => client.call('backend.bench', { jobId }));
        set({ benchJob: null });
        if (r) set({ bench: r.rows });
      },
    };
  });
}
