/**
 * Stack builder: validation of a layer stack, its summary, the SyncBatchNorm conversion preview.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */
import type { StackSpec } from '../stackSpec.js';
import type { ModuleNode } from './common.js';

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
