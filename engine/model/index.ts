/** Imported networks: ONNX → GraphModule (one executor for every model), checkpoint weights. */
export { GraphModule, Scope } from './graphModule.js';
export type { BatchNormMode, GraphBatchNorm, ForwardOptions } from './graphModule.js';
export { loadOnnx, loadOnnxFile, graphModuleFromOnnx, pytorchMomentum } from './importOnnx.js';
export type { OnnxLoadOptions } from './importOnnx.js';
export { applyWeights, WeightsError } from './weights.js';
export type { WeightsReport } from './weights.js';
export { SUPPORTED_OPS } from './ops.js';
export { stackGraph } from './stackGraph.js';
export { OnnxError, DEFAULT_ONNX_BUDGETS, SUPPORTED_OPSETS } from '../io/onnxError.js';
export type { OnnxBudgets } from '../io/onnxError.js';
export { readOnnx, looksOnnx } from '../io/onnx.js';
export type { OnnxModel, OnnxGraph, OnnxNode, ValueInfo } from '../io/onnx.js';
export { readOnnxFile } from '../io/onnxFile.js';
