/** engine/io public surface: safe checkpoint reading and writing. */
export {
  CheckpointError,
  PickleError,
  RefusedGlobalError,
  TorchZipError,
  LegacyTorchError,
  SafetensorsError,
  WriteError,
} from './errors.js';
export {
  Checkpoint,
  loadCheckpoint,
  loadCheckpointBytes,
  detectFormat,
  type CheckpointFormat,
  type LoadOptions,
} from './checkpoint.js';
export {
  saveTorch,
  saveSafetensors,
  saveSafetensorsSharded,
  torchBytes,
  safetensorsBytes,
  type SaveOptions,
} from './save.js';
export { unpickle, type UnpickleOptions, type UnpickleResult } from './unpickler.js';
export { scanPickle, type PickleScan, type ScannedGlobal } from './pickleScan.js';
export { Pickler, type WritableValue } from './pickler.js';
export { allowedGlobalNames } from './torchGlobals.js';
export { TensorRef, StorageRef } from './tensorRef.js';
export { readTorchZip, writeTorchZip } from './torchZip.js';
export { readLegacy } from './legacy.js';
export { readSafetensors, writeSafetensors, parseShardIndex, METADATA_KEY } from './safetensors.js';
export {
  findStateDicts,
  walkTensors,
  toStateDict,
  stateDictToPy,
  replaceAtPath,
  metadataOf,
  refStateDict,
  type FoundStateDict,
  type RefStateDict,
} from './tree.js';
export { MemorySource, memorySink, type ByteSource, type ByteSink } from './byteSource.js';
export { openFile, writeFileAtomic, removeStaleTempFiles, setTempFileGuard } from './fileAdapter.js';
export {
  BudgetError,
  Meter,
  DEFAULT_BUDGETS,
  BUDGET_OPTIONS,
  EXPANSION_SLACK,
  budgetsWith,
  parseBudgetValue,
  type Budgets,
} from './budgets.js';
export { scanCheckpointFile, type FileScan } from './scan.js';
export * from './pyobjects.js';
