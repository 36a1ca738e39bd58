/**
 * The shape checks of the layers, on shapes alone: each raises PyTorch's exception and text. The
 * forward passes call these on their inputs' shapes and the shape pass (shapePass.ts) calls them on a
 * spec's shapes without any data, so the texts the Stack builder shows are the ones a forward raises.
 */
import { IndexError, RuntimeError, ValueError } from '../errors.js';

type Shape = readonly number[];

const prod = (s: Shape): number => s.reduce((a, b) => a * b, 1);
const torchSize = (s: Shape): string => `torch.Size([${s.join(', ')}])`;

/** BatchNorm1d (and LazyBatchNorm1d): (N, C) or (N, C, L). */
export function check1dRank(dim: number): void {
  if (dim !== 2 && dim !== 3) throw new ValueError(`expected 2D or 3D input (got ${dim}D input)`);
}

/** BatchNorm2d/3d (and the Lazy ones): exactly `want` dims. */
export function checkNdRank(dim: number, want: number): void {
  if (dim !== want) throw new ValueError(`expected ${want}D input (got ${dim}D input)`);
}

/** SyncBatchNorm: at least (N, C), and C not zero. */
export function checkSyncInput(shape: Shape): void {
  if (shape.length < 2) throw new ValueError(`expected at least 2D input (got ${shape.length}D input)`);
  if (shape[1] === 0) throw new ValueError('SyncBatchNorm number of input channels should be non-zero');
}

/** The Lazy modules' `_infer_parameters` reads input.shape[1]. */
export function lazyChannels(shape: Shape): number {
  if (shape.length < 2) throw new IndexError('tuple index out of range');
  return shape[1]!;
}

/** F.batch_norm's `_verify_batch_size` (training only). */
export function verifyBatchSize(shape: Shape): void {
  if (shape.length >= 1 && shape[0]! * prod(shape.slice(2)) === 1) {
    throw new ValueError(`Expected more than 1 value per channel when training, got input size ${torchSize(shape)}`);
  }
}

/** F.batch_norm's size check of running_mean, running_var, weight and bias (each when present). */
export function checkFeatures(name: string, numel: number | null, c: number): void {
  if (numel !== null && numel !== c) throw new RuntimeError(`${name} should contain ${c} elements not ${numel}`);
}

/** F.linear: the output shape, or PyTorch's matmul error. */
export function linearShape(input: Shape, inF: number, outF: number): number[] {
  const k = input[input.length - 1];
  if (input.length < 1 || k !== inF) {
    const rows = input.length <= 1 ? 1 : prod(input) / (k ?? 1);
    throw new RuntimeError(`mat1 and mat2 shapes cannot be multiplied (${rows}x${k ?? 0} and ${inF}x${outF})`);
  }
  return [...input.slice(0, -1), outF];
}

/** F.conv2d (NCHW, groups 1): the output shape, or PyTorch's error. `weight` is (O, C, KH, KW). */
export function conv2dShape(
  input: Shape,
  weight: Shape,
  stride: readonly [number, number],
  padding: readonly [number, number],
): [number, number, number, number] {
  if (input.length !== 4) {
    throw new RuntimeError(
      `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${input.join(', ')}]`,
    );
  }
  const [n, c, h, w] = input as [number, number, number, number];
  const [o, cw, kh, kw] = weight as [number, number, number, number];
  if (c !== cw) {
    throw new RuntimeError(
      `Given groups=1, weight of size [${weight.join(', ')}], expected input[${input.join(', ')}] to have ${cw} channels, but got ${c} channels instead`,
    );
  }
  const oh = Math.floor((h + 2 * padding[0] - kh) / stride[0]) + 1;
  const ow = Math.floor((w + 2 * padding[1] - kw) / stride[1]) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new RuntimeError(
      `Calculated padded input size per channel: (${h + 2 * padding[0]} x ${w + 2 * padding[1]}). Kernel size: (${kh} x ${kw}). Kernel size can't be greater than actual input size`,
    );
  }
  return [n, o, oh, ow];
}

/** torch.flatten(input, startDim, endDim): the output shape, or PyTorch's error. */
export function flattenShape(input: Shape, startDim: number, endDim: number): number[] {
  const nd = input.length;
  if (nd === 0) return [1];
  const s = startDim < 0 ? startDim + nd : startDim;
  const e = endDim < 0 ? endDim + nd : endDim;
  if (s < 0 || s >= nd || e < 0 || e >= nd) {
    throw new RuntimeError(
      `Dimension out of range (expected to be in range of [${-nd}, ${nd - 1}], but got ${startDim})`,
    );
  }
  if (s > e) throw new RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim');
  return [...input.slice(0, s), prod(input.slice(s, e + 1)), ...input.slice(e + 1)];
}
