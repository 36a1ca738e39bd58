/** The functional namespace (PyTorch's torch.nn.functional, camelCase), plus the ONNX operators. */
export { batchNorm, verifyBatchSize } from './batchNorm.js';
export { linear } from './linear.js';
export { conv2d } from './conv2d.js';
export { conv, type ConvOptions } from './conv.js';
export { resolveAutoPad, type AutoPad } from './spatial.js';
export { maxPool, avgPool, globalAvgPool, type MaxPoolOptions, type AvgPoolOptions } from './pool.js';
export { relu, sigmoid, hardSigmoid, hardSwish, clip } from './activations.js';
export { mseLoss, crossEntropy } from './losses.js';
export { add, sub, mul, div } from '../../tensor/ops.js';
export { broadcastShapes } from '../../tensor/broadcast.js';
export { reduceMean } from './reduce.js';
export { gemm, matmul, type GemmOptions } from './matmul.js';
export { reshape, flatten, transpose, concat, slice, unsqueeze, squeeze, split, narrow } from './shape.js';
export { gather, pad } from './indexing.js';
export { dropout, type DropoutResult } from './dropout.js';
