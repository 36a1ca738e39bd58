/**
 * The stack spec as it crosses the contract. Its one definition is the engine's dependency-free
 * engine/nn/layerSpec.ts (types, the table of layer types and options, the validator); the window
 * reaches it through this file because it never imports engine code otherwise.
 */
export {
  LAYER_TYPES,
  LAYER_OPTIONS,
  isNormType,
  type LayerField,
  type LayerPatch,
  type LayerSpec,
  type LayerType,
  type NormLayerSpec,
  type NormSpec,
  type StackSpec,
} from '../../engine/nn/layerSpec.js';
