/**
 * The one typed contract between the window (renderer) and the host.
 *
 * Every request is `method(payload) → Promise<result>`; the host also pushes events (progress of long
 * work, live step results, rank updates). Everything here is plain data: numbers, strings, arrays,
 * objects and typed arrays (tensors are downsampled on the host before they cross). No Electron,
 * Node or DOM import may appear in this folder: the renderer, the preload, Electron main, the
 * browser-mode server and the CLI all compile against it.
 */
import type { StackSpec } from './stackSpec.js';

export type { StackSpec, LayerSpec, LayerType } from './stackSpec.js';

// ---------------------------------------------------------------- common shapes

/** Summary numbers of one tensor (computed in float64 on the host). */
export interface TensorSummary {
  shape: number[];
  dtype: string;
  numel: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Count of NaN and of ±inf elements. */
  nan: number;
  inf: number;
}

/** A histogram: `counts[i]` values fell in [edges[i], edges[i+1]). */
export interface Histogram {
  edges: Float64Array;
  counts: Uint32Array;
}

/** A module tree node, as PyTorch's repr shows it. */
export interface ModuleNode {
  /** Dotted path from the root ('' for the root). */
  path: string;
  name: string;
  type: string;
  /** PyTorch's extra_repr, e.g. `32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`. */
  extra: string;
  children: ModuleNode[];
}

export type FeatureName =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends';

export interface FeatureStatus {
  available: boolean;
  /** Why not, in words a person understands; null when available. */
  reason: string | null;
}

export interface AppInfo {
  version: string;
  runtime: 'electron' | 'browser';
  platform: string;
  features: Record<FeatureName, FeatureStatus>;
}

// ---------------------------------------------------------------- stack builder

export interface LayerCheck {
  /** Dotted module path of the layer ('0', '2.1', …). */
  path: string;
  type: string;
  inShape: number[] | null;
  outShape: number[] | null;
  /** The first problem found at this layer (PyTorch's text where PyTorch would raise), else null. */
  error: string | null;
  warnings: string[];
}

export interface StackValidation {
  ok: boolean;
  layers: LayerCheck[];
  outputShape: number[] | null;
  /** A problem with the spec as a whole (unknown type, missing option), else null. */
  specError: string | null;
}

export interface StackSummary {
  tree: ModuleNode;
  repr: string;
  parameterCount: number;
  /** Module paths of every BatchNorm-family layer, in order. */
  normLayers: string[];
  inputShape: number[];
}

export interface SyncConversionPreview {
  before: ModuleNode;
  after: ModuleNode;
  spec: StackSpec;
  converted: string[];
}

// ---------------------------------------------------------------- stepping

export type Distribution = 'normal' | 'uniform';

export interface InputConfig {
  /** Batch shape, e.g. [256, 16]; the first dimension is the batch. */
  shape: number[];
  distribution: Distribution;
  mean: number;
  std: number;
  /** Channel c gets `c * channelShift` added (dim 1 is the channel dim). */
  channelShift: number;
  seed: number;
}

/** A small per-layer record of one forward pass. */
export interface LayerTrace {
  path: string;
  type: string;
  output: TensorSummary;
  /** For BatchNorm layers after this pass: running stats (null when not tracked). */
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  numBatchesTracked: number | null;
}

export interface StepResult {
  step: number;
  mode: 'train' | 'eval';
  kind: 'forward' | 'train';
  loss: number | null;
  layers: LayerTrace[];
  elapsedMs: number;
}

export interface RunResult {
  stepsDone: number;
  cancelled: boolean;
  last: StepResult | null;
  /** Loss of every step run (NaN where no loss). */
  losses: Float64Array;
  stepsPerSecond: number;
}

export interface CompareRow {
  path: string;
  type: string;
  train: TensorSummary;
  eval: TensorSummary;
  maxAbsDiff: number;
}

export interface CompareResult {
  rows: CompareRow[];
  /** Path of the first layer whose train and eval outputs differ beyond 1e-6, else null. */
  firstDivergent: string | null;
}

export interface SessionState {
  built: boolean;
  step: number;
  training: boolean;
  input: InputConfig | null;
  snapshots: number;
  lastLoss: number | null;
}

// ---------------------------------------------------------------- layer inspector

export interface WhyPanel {
  training: boolean;
  trackRunningStats: boolean;
  buffersPresent: boolean;
  /** The seed's `bn_training`: batch statistics normalize when true, running statistics when false. */
  bnTraining: boolean;
  normalizedWith: 'batch statistics' | 'running statistics';
  /** Whether running_mean/var were updated by the last forward. */
  buffersUpdated: boolean;
  momentum: number | null;
  /** The factor actually used by the last update (1/n for momentum None), null when none happened. */
  factorUsed: number | null;
  /** The factor the next forward will use (0 when it will not update). */
  nextFactor: number;
  /** Keras/TF momentum of the next update (weight of the old value): 1 − factor. */
  kerasMomentum: number | null;
  eps: number;
  /** Channels whose running variance is within 10× of eps (eps dominates the normalization). */
  epsDominated: number[];
  /** Where NaN/inf first appeared in the stack during the last forward (module path), else null. */
  firstNonFinite: string | null;
  /** All 8 rows of the truth table over (training, tracking, buffers present). */
  truthTable: Array<{
    training: boolean;
    tracking: boolean;
    buffers: boolean;
    bnTraining: boolean;
    normalizedWith: 'batch statistics' | 'running statistics';
    updatesBuffers: boolean;
    current: boolean;
  }>;
}

export interface LayerInspection {
  path: string;
  type: string;
  numFeatures: number;
  weight: Float32Array | null;
  bias: Float32Array | null;
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  numBatchesTracked: number | null;
  /** This batch's statistics from the last forward (null before any forward). */
  batchMean: Float32Array | null;
  batchVarBiased: Float32Array | null;
  batchVarUnbiased: Float32Array | null;
  outputHistogram: Histogram | null;
  gradNorms: { weight: number | null; bias: number | null; input: number | null };
  /** Running-stat history, one row per step: the mean over channels of running_mean and running_var. */
  timeline: { steps: Int32Array; meanOfRunningMean: Float64Array; meanOfRunningVar: Float64Array };
  why: WhyPanel;
}

// ---------------------------------------------------------------- state dicts and checkpoints

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
  min: number;
  max: number;
  mean: number;
  std: number;
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
  migration: Array<{ prefix: string; fromVersion: number | null; toVersion: number; injected: string[] }>;
  /** PyTorch's exact strict-mode error text, or null when strict loading would succeed. */
  strictError: string | null;
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

// ---------------------------------------------------------------- ranks and backends

export interface RankLane {
  rank: number;
  /** The rank's process id (null until it has started). */
  pid: number | null;
  alive: boolean;
  count: number;
  localMean: Float32Array | null;
  localVar: Float32Array | null;
  /** What this rank's SyncBatchNorm combined (its group's statistics). */
  combinedMean: Float32Array | null;
  collectiveCalls: number;
  collectiveMs: number;
  error: string | null;
}

export interface RanksState {
  running: boolean;
  worldSize: number;
  step: number;
  lanes: RankLane[];
  combinedMean: Float32Array | null;
  combinedVar: Float32Array | null;
  lastError: string | null;
  /** The SyncBatchNorm layer the lanes show (the first one), and the shard sizes. */
  layer: string | null;
  shards: number[];
  /** new_group()s: SyncBatchNorm syncs within each rank's first group (empty: the whole world). */
  subgroups: number[][];
}

export interface BackendStatusView {
  name: string;
  available: boolean;
  reason: string | null;
  device?: string;
  memoryBytes?: number;
  threads?: number;
}

export interface BackendsView {
  active: string;
  requested: string;
  backends: BackendStatusView[];
}

export interface BenchRow {
  backend: string;
  case: string;
  msPerIter: number;
  gbPerS: number;
}

// ---------------------------------------------------------------- the contract

/** Request/response methods: name → [payload, result]. */
export interface Methods {
  'app.info': [Record<string, never>, AppInfo];
  'job.cancel': [{ jobId: string }, { cancelled: boolean }];
  /** Electron: a file dialog (the chosen path becomes usable); browser mode: NotAvailable (type a path). */
  'files.choose': [{ purpose: 'open' | 'save' }, { path: string | null }];

  'stack.validate': [{ spec: StackSpec; inputShape: number[] }, StackValidation];
  'stack.build': [{ spec: StackSpec; inputShape: number[]; seed: number }, StackSummary];
  'stack.previewSync': [{ spec: StackSpec }, SyncConversionPreview];

  'step.state': [Record<string, never>, SessionState];
  'step.setInput': [InputConfig, SessionState];
  'step.setMode': [{ training: boolean }, SessionState];
  'step.forward': [Record<string, never>, StepResult];
  'step.train': [{ lr: number }, StepResult];
  'step.run': [{ jobId: string; steps: number; lr: number; train: boolean }, RunResult];
  'step.reset': [{ what: 'stats' | 'params' | 'all' }, SessionState];
  'step.snapshot': [Record<string, never>, SessionState];
  'step.rollback': [Record<string, never>, SessionState];
  'step.compare': [Record<string, never>, CompareResult];

  'inspect.layer': [{ path: string }, LayerInspection];

  'stateDict.view': [Record<string, never>, StateDictView];
  'stateDict.export': [{ path: string; format: 'pt' | 'safetensors' }, { path: string; bytes: number }];
  'stateDict.previewLoad': [{ checkpointId: string; stateDictPath: string }, LoadPreview];
  'stateDict.load': [{ checkpointId: string; stateDictPath: string; strict: boolean }, LoadReport];

  'checkpoint.open': [{ path: string; jobId: string; tensorsOnly: boolean }, CheckpointView];
  'checkpoint.tensors': [
    { id: string; offset: number; limit: number; filter: string },
    { total: number; rows: TensorRow[] },
  ];
  /** Builds (in the session) a stack of the file's BatchNorm layers and loads their parameters and buffers. */
  'checkpoint.buildStack': [
    { id: string },
    { spec: StackSpec; inputShape: number[]; summary: StackSummary; notes: string[] },
  ];
  'checkpoint.close': [{ id: string }, { closed: boolean }];

  'diff.run': [{ a: string; b: string; stripPrefix: string | null; jobId: string }, DiffResult];

  'ranks.start': [{ worldSize: number; shards: number[]; subgroups: number[][] }, RanksState];
  'ranks.step': [Record<string, never>, RanksState];
  'ranks.kill': [{ rank: number }, RanksState];
  'ranks.restart': [Record<string, never>, RanksState];
  'ranks.stop': [Record<string, never>, RanksState];
  'ranks.state': [Record<string, never>, RanksState];

  'backend.info': [Record<string, never>, BackendsView];
  'backend.set': [{ name: string }, BackendsView];
  'backend.bench': [{ jobId: string }, { rows: BenchRow[] }];
}

export type MethodName = keyof Methods;
export type Req<M extends MethodName> = Methods[M][0];
export type Res<M extends MethodName> = Methods[M][1];

/** Events the host pushes: name → payload. */
export interface Events {
  progress: { jobId: string; done: number; total: number; label: string };
  /** A live step result during `step.run` (throttled to ~20 per second). */
  step: StepResult;
  ranks: RanksState;
  /** Electron: a file arrived from the menu, a drop, the command line or a file association. */
  open: { path: string };
}
export type EventName = keyof Events;

/** Every method name, at runtime (the wiring tests check each has a handler everywhere). */
export const METHOD_NAMES = [
  'app.info',
  'job.cancel',
  'files.choose',
  'stack.validate',
  'stack.build',
  'stack.previewSync',
  'step.state',
  'step.setInput',
  'step.setMode',
  'step.forward',
  'step.train',
  'step.run',
  'step.reset',
  'step.snapshot',
  'step.rollback',
  'step.compare',
  'inspect.layer',
  'stateDict.view',
  'stateDict.export',
  'stateDict.previewLoad',
  'stateDict.load',
  'checkpoint.open',
  'checkpoint.tensors',
  'checkpoint.buildStack',
  'checkpoint.close',
  'diff.run',
  'ranks.start',
  'ranks.step',
  'ranks.kill',
  'ranks.restart',
  'ranks.stop',
  'ranks.state',
  'backend.info',
  'backend.set',
  'backend.bench',
] as const satisfies readonly MethodName[];

export const EVENT_NAMES = ['progress', 'step', 'ranks', 'open'] as const satisfies readonly EventName[];

/** An error as it crosses the contract: PyTorch's type and text where the engine raised one. */
export interface WireError {
  name: string;
  message: string;
}

/** The client side of the contract, as the renderer sees it (Electron preload or WebSocket). */
export interface ContractClient {
  call<M extends MethodName>(method: M, payload: Req<M>): Promise<Res<M>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

// Compile-time proof that METHOD_NAMES lists every method of Methods.
type MissingMethods = Exclude<MethodName, (typeof METHOD_NAMES)[number]>;
export const METHOD_NAMES_COMPLETE: [MissingMethods] extends [never] ? true : never = true;
