/** engine/inspect public surface: summaries, BatchNorm health, key alignment, migration, diff. */
export { summarize, histogram, asTensor, type TensorSummary, type Histogram, type TensorLike } from './summary.js';
export {
  findBatchNormLayers,
  batchNormPrefixes,
  FLOAT16_MAX,
  type BatchNormLayer,
  type HealthOptions,
} from './batchnorm.js';
export {
  detectPrefix,
  alignKeys,
  previewMapping,
  applyMapping,
  mapKey,
  mapMetadata,
  KNOWN_PREFIXES,
  type KeyMapping,
  type AlignmentPreview,
} from './align.js';
export { planMigration, applyMigration, type MigrationPlan, type MigrationStep, type PlanOptions } from './migrate.js';
export {
  diffStateDicts,
  hasDifferences,
  type DiffResult,
  type ChangedTensor,
  type ChannelDiff,
  type DiffOptions,
} from './diff.js';
export { inspectCheckpoint, type InspectReport, type TensorReport, type InspectOptions } from './report.js';
export {
  previewLoad,
  loadWithCoverage,
  type LoadPreview,
  type LoadCoverage,
  type CoverageRow,
  type CoverageStatus,
} from './coverage.js';
export { treeView, type TreeNode, type TreeViewOptions } from './treeView.js';
