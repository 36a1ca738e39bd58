/**
 * The stack spec as it crosses the contract (the same JSON the CLI, ranks and saved sessions use):
 * `type` is the engine class name; the other fields are its constructor options in camelCase;
 * `Sequential` nests `layers`.
 */
export const LAYER_TYPES = [
  'Linear',
  'Conv2d',
  'ReLU',
  'Flatten',
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'LazyBatchNorm1d',
  'LazyBatchNorm2d',
  'LazyBatchNorm3d',
  'SyncBatchNorm',
  'Sequential',
] as const;

export type LayerType = (typeof LAYER_TYPES)[number];

export interface LayerSpec {
  type: LayerType;
  inFeatures?: number;
  outFeatures?: number;
  inChannels?: number;
  outChannels?: number;
  kernelSize?: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  numFeatures?: number;
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  layers?: LayerSpec[];
}

export interface StackSpec {
  layers: LayerSpec[];
}

/** The BatchNorm family among the layer types. */
export const NORM_TYPES: readonly LayerType[] = LAYER_TYPES.filter((t) => t.includes('BatchNorm'));
