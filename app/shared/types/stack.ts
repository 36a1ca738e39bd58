/**
 * Stack builder: validation of a layer stack, its summary, the SyncBatchNorm conversion preview.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */
import type { StackSpec } from '../stackSpec.js';
import type { ModuleNode } from './common.js';

/** The shape pass's result, as the engine computes it (engine/nn/layerSpec.ts). */
export type { LayerCheck, StackValidation } from '../../../engine/nn/layerSpec.js';

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
