/**
 * Typed access to an ONNX node's attributes, with errors that name the node, its op and the attribute.
 */
import type { OnnxAttr, OnnxNode } from '../io/onnx.js';
import { OnnxError } from '../io/onnxError.js';
import { Tensor } from '../tensor/tensor.js';

export function nodeLabel(node: OnnxNode): string {
  return `node '${node.name}' (${node.opType})`;
}

export function nodeError(node: OnnxNode, message: string): OnnxError {
  return new OnnxError(`${nodeLabel(node)}: ${message}`);
}

function get(node: OnnxNode, name: string): OnnxAttr | undefined {
  return node.attrs.get(name);
}

export function attrInt(node: OnnxNode, name: string, dflt: number): number {
  const v = get(node, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw nodeError(node, `attribute '${name}' must be an integer`);
  return v;
}

export function attrFloat(node: OnnxNode, name: string, dflt: number): number {
  const v = get(node, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw nodeError(node, `attribute '${name}' must be a float`);
  return v;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const v = get(node, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) {
    throw nodeError(node, `attribute '${name}' must be a list of integers`);
  }
  return v as number[];
}

export function attrString(node: OnnxNode, name: string, dflt: string): string {
  const v = get(node, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw nodeError(node, `attribute '${name}' must be a string`);
  return v;
}

export function attrTensor(node: OnnxNode, name: string): Tensor | undefined {
  const v = get(node, name);
  if (v === undefined) return undefined;
  if (!(v instanceof Tensor)) throw nodeError(node, `attribute '${name}' must be a tensor`);
  return v;
}

/** An axis in [-rank, rank) made non-negative, or an error naming the node. */
export function normAxis(node: OnnxNode, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw nodeError(node, `${what} ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}
