/**
 * NormScope's engine: the public API (PyTorch names in camelCase).
 */
export { Tensor, noGrad, isGradEnabled, formatSize } from './tensor/tensor.js';
export type { GradFn, TensorOptions } from './tensor/tensor.js';
export type { DType, FloatArray, TypedArray } from './tensor/dtype.js';
export { tensor, zeros, ones, full, scalar, randn, rand, arange } from './tensor/creation.js';
export { manualSeed, Generator } from './tensor/random.js';
export { tidy, keep, dispose } from './tensor/scope.js';
export { memoryStats, resetPeakMemoryStats, emptyCache, setCacheLimit } from './tensor/allocator.js';
export type { MemoryStats } from './tensor/allocator.js';
export { add, sub, mul, mulScalar, sum, mean, relu, cat0 } from './tensor/ops.js';
export { EngineError, ValueError, RuntimeError, IndexError } from './errors.js';

export { Module } from './nn/module.js';
export type { LoadResult } from './nn/module.js';
export { Parameter, UninitializedParameter, UninitializedBuffer } from './nn/parameter.js';
export { StateDict } from './nn/stateDict.js';
export type { LocalMetadata } from './nn/stateDict.js';
export { StateCopy, type StatePart } from './nn/stateCopy.js';
export { NormBase, BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d } from './nn/batchnorm.js';
export type { NormOptions } from './nn/batchnorm.js';
export { LazyBatchNorm, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d } from './nn/lazy.js';
export { SyncBatchNorm, convertSyncBatchnorm, isBatchNorm } from './nn/syncBatchNorm.js';
export { Linear } from './nn/layers/linear.js';
export { Conv2d } from './nn/layers/conv2d.js';
export { ReLU, Flatten, Sequential } from './nn/layers/simple.js';
export { buildStack, specOf, stackSpecOf } from './nn/stackSpec.js';
export { specTree, layerExtraRepr } from './nn/layerRepr.js';
export { LAYER_TYPES, LAYER_OPTIONS, SPEC_LIMITS, isNormType, isStackSpec, stackSpecProblem } from './nn/layerSpec.js';
export type {
  StackSpec,
  LayerSpec,
  LayerType,
  NormSpec,
  LayerCheck,
  StackValidation,
  ModuleNode,
} from './nn/layerSpec.js';
export { validateStack } from './nn/shapePass.js';
export { stackCost, checkStackBudget, DEFAULT_STACK_BUDGET } from './nn/stackBudget.js';
export type { StackBudget, StackCost } from './nn/stackBudget.js';
export * as functional from './nn/functional/index.js';
export { mseLoss, crossEntropy } from './nn/functional/losses.js';
export { SGD } from './optim/sgd.js';
export { DEFAULT_LR, objectiveBackward, objectiveTarget, stepOptimizer } from './optim/objective.js';
export type { SGDOptions } from './optim/sgd.js';

export { getBackend, setBackend, backendInfo, BACKEND_CHOICES } from './backend/registry.js';
export type { BackendInfo, BackendStatus, BackendChoice } from './backend/registry.js';
export type { Backend, BackendName } from './backend/backend.js';

export {
  initProcessGroup,
  destroyProcessGroup,
  isInitialized,
  getWorldGroup,
  CollectiveError,
} from './dist/processGroup.js';
export type { ProcessGroup, CollectiveOptions } from './dist/processGroup.js';
export { setSyncObserver } from './dist/syncBatchNormFunction.js';
export type { SyncEvent } from './dist/syncBatchNormFunction.js';
export { explainBatchNorm, decide as batchNormDecision } from './nn/explain.js';
export type { BatchNormExplanation, BatchNormDecision } from './nn/explain.js';
export type { ForwardHook } from './nn/module.js';

// Checkpoints: safe readers and writers (engine/io) and what the app shows about them (engine/inspect).
export {
  loadCheckpoint,
  loadCheckpointBytes,
  saveTorch,
  saveSafetensors,
  saveSafetensorsSharded,
  Checkpoint,
  CheckpointError,
  PickleError,
  RefusedGlobalError,
  TorchZipError,
  LegacyTorchError,
  SafetensorsError,
  WriteError,
} from './io/index.js';
export type { CheckpointFormat, LoadOptions, SaveOptions } from './io/index.js';
export {
  inspectCheckpoint,
  diffStateDicts,
  planMigration,
  applyMigration,
  alignKeys,
  applyMapping,
  detectPrefix,
  previewLoad,
  loadWithCoverage,
  treeView,
  findBatchNormLayers,
  summarize,
  histogram,
} from './inspect/index.js';
export * as io from './io/index.js';
export * as inspect from './inspect/index.js';

// Imported networks (ONNX → GraphModule, the one executor) and checkpoint weights for them.
export {
  GraphModule,
  loadOnnx,
  loadOnnxFile,
  applyWeights,
  WeightsError,
  OnnxError,
  readOnnx,
  SUPPORTED_OPS,
  SUPPORTED_OPSETS,
} from './model/index.js';
export type {
  BatchNormMode,
  OnnxLoadOptions,
  WeightsReport,
  OnnxBudgets,
  OnnxModel,
  ValueInfo,
} from './model/index.js';

// What the app's host, CLI and rank processes use beyond the PyTorch-like API above. The app reaches
// the engine through this file only (eslint.config.js enforces it); tests may also use engine/testing.ts.
export { allocate } from './tensor/dtype.js';
export { describeCall, describeMismatch, minorityRank, sameCall } from './dist/collectiveCall.js';
export type { CollectiveCall } from './dist/collectiveCall.js';
export { GlooProcessGroup } from './dist/glooProcessGroup.js';
export type { GlooContextFactory, GlooContextHandle, GlooRendezvous } from './dist/glooProcessGroup.js';
export { IpcProcessGroup } from './dist/ipcProcessGroup.js';
export type { CollectiveObserver, IpcRequest, IpcResponse, SyncTransport } from './dist/ipcProcessGroup.js';
export type { ProcessGroupBackend } from './dist/processGroup.js';
export { hasDifferences } from './inspect/index.js';
export type { DiffResult, InspectReport } from './inspect/index.js';
export { budgetsWith, parseBudgetValue } from './io/budgets.js';
export type { Budgets } from './io/budgets.js';
export { fileSize, removeStaleTempFiles, setTempFileGuard } from './io/fileAdapter.js';
export { TensorRef, refStateDict, replaceAtPath, scanCheckpointFile, stateDictToPy } from './io/index.js';
export { recalibrate } from './model/recalibrate.js';
export { batchNormStats, checkpointMetadata, modelStateDict, modelSummary, outputSummaries } from './model/summary.js';
export { LOSSES, trainSteps } from './model/train.js';
export type { LossName } from './model/train.js';
