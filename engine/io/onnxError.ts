/**
 * OnnxError: an .onnx file that cannot be read or run (malformed protobuf, an unsupported opset or op,
 * a tensor over a budget). Messages name the node, op, tensor or budget concerned.
 * OnnxBudgets: the limits every ONNX read is held to, so a hostile file costs bounded time and memory.
 */
import { EngineError } from '../errors.js';

export class OnnxError extends EngineError {
  constructor(message: string) {
    super('OnnxError', message);
  }
}

export interface OnnxBudgets {
  /** Bytes of the .onnx protobuf itself (protobuf's own limit is 2 GiB). */
  maxFileBytes: number;
  maxNodes: number;
  maxInitializers: number;
  /** Dimensions of one tensor. */
  maxRank: number;
  /** Elements of one tensor (initializer, Constant, or a shape computed at load). */
  maxTensorNumel: number;
  /** Bytes read from external data files, all tensors together. */
  maxExternalBytes: number;
}

export const DEFAULT_ONNX_BUDGETS: OnnxBudgets = {
  maxFileBytes: 2 ** 31 - 1,
  maxNodes: 100_000,
  maxInitializers: 100_000,
  maxRank: 8,
  maxTensorNumel: 2 ** 31 - 1,
  maxExternalBytes: 16 * 2 ** 30,
};

export const SUPPORTED_OPSETS = { min: 13, max: 17 } as const;
