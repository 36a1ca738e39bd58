/** The functional namespace (PyTorch's torch.nn.functional, camelCase). */
export { batchNorm, verifyBatchSize } from './batchNorm.js';
export { linear } from './linear.js';
export { conv2d } from './conv2d.js';
export { mseLoss, crossEntropy } from './losses.js';
export { relu } from '../../tensor/ops.js';
