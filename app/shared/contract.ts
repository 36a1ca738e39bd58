/**
 * The one typed contract between the window (renderer) and the host.
 *
 * The data shapes live in ./types/ (one file per workspace) and are re-exported here.
 *
 * Every request is `method(payload) → Promise<result>`; the host also pushes events (progress of long
 * work, live step results, rank updates). Everything here is plain data: numbers, strings, arrays,
 * objects and typed arrays (tensors are downsampled on the host before they cross). No Electron,
 * Node or DOM import may appear in this folder: the renderer, the preload, Electron main, the
 * browser-mode server and the CLI all compile against it.
 */
import type { StackSpec } from './stackSpec.js';
import type { AppInfo } from './types/common.js';
import type { StackSummary, StackValidation, SyncConversionPreview } from './types/stack.js';
import type { CompareResult, InputConfig, RunResult, SessionState, StepResult } from './types/stepping.js';
import type { LayerInspection } from './types/inspector.js';
import type {
  CheckpointView,
  DiffResult,
  LoadPreview,
  LoadReport,
  StateDictView,
  TensorRow,
} from './types/checkpoints.js';
import type { BackendsView, BenchRow, RanksState } from './types/ranks.js';
import type {
  ModelRecalibration,
  ModelStepResult,
  ModelTraining,
  ModelTrainProgress,
  ModelTrainRequest,
  ModelView,
} from './types/models.js';

export type { StackSpec, LayerSpec, LayerType } from './stackSpec.js';

export type * from './types/common.js';
export type * from './types/stack.js';
export type * from './types/stepping.js';
export type * from './types/inspector.js';
export type * from './types/checkpoints.js';
export type * from './types/ranks.js';
export type * from './types/models.js';

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
  /**
   * convert_sync_batchnorm on the built stack: each BatchNorm becomes a SyncBatchNorm keeping its
   * weight, bias, running statistics and counter; returns the built stack's new spec and summary.
   */
  'stack.convertSync': [Record<string, never>, { spec: StackSpec; summary: StackSummary; converted: string[] }];

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

  /** Opens an .onnx (torch.onnx.export) as the Models workspace's network; replaces the one open. */
  'model.open': [{ path: string; jobId: string }, ModelView];
  /** A checkpoint's weights by state-dict key; one that does not fit is refused with its strict report. */
  'model.weights': [{ path: string }, ModelView];
  /**
   * One graph input's batch: a float .npy file (path), or standard-normal values of the declared shape
   * (path null). `input` names the graph input; absent, the model must have only one.
   */
  'model.setInput': [{ path: string | null; batch: number; seed: number; input?: string }, ModelView];
  /** One forward pass without gradients, every BatchNorm in train or eval mode, dropout off. */
  'model.step': [{ mode: 'train' | 'eval' }, ModelStepResult];
  /** Train vs eval outputs of every node on the same batch (running statistics left as they were). */
  'model.compare': [Record<string, never>, CompareResult];
  'model.inspect': [{ path: string }, LayerInspection];
  /** Precise BatchNorm over the input batch in batches of batchSize; cancelled, nothing changes. */
  'model.recalibrate': [{ jobId: string; batchSize: number }, ModelRecalibration];
  'model.export': [{ path: string; format: 'pt' | 'safetensors' }, { path: string; bytes: number }];
  /**
   * SGD steps on the input batch against a target (progress and `modelTrain` losses as it runs);
   * cancelled or failed, every parameter and buffer is as it was.
   */
  'model.train': [ModelTrainRequest, ModelTraining];
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
  /** The losses of the steps `model.train` finished since its last event (throttled). */
  modelTrain: ModelTrainProgress;
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
  'stack.convertSync',
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
  'model.open',
  'model.weights',
  'model.setInput',
  'model.step',
  'model.compare',
  'model.inspect',
  'model.recalibrate',
  'model.export',
  'model.train',
] as const satisfies readonly MethodName[];

/** Is `m` a method of the contract? The host refuses any other before a handler runs. */
export function isMethodName(m: unknown): m is MethodName {
  return typeof m === 'string' && (METHOD_NAMES as readonly string[]).includes(m);
}

/** The host's refusal of a method the contract lacks (its validator; the renderer's fake host says the same). */
export const unknownMethodMessage = (method: unknown): string =>
  `unknown method ${JSON.stringify(String(method)).slice(0, 80)}`;

export const EVENT_NAMES = ['progress', 'step', 'ranks', 'open', 'modelTrain'] as const satisfies readonly EventName[];

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
