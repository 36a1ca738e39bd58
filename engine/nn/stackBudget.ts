/**
 * What a stack spec will cost before anything is allocated: parameter count and the bytes of the
 * activations one forward pass keeps for backward, computed from the spec and the input shape alone.
 * The host's build path and the rank coordinator call checkStackBudget() first, so a spec of two
 * 16384×16384 Linear layers is refused with an error naming the budget instead of taking gigabytes.
 *
 * Shapes are the engine's dry shape pass (shapePass.ts); where a layer cannot take its input (PyTorch
 * would raise at forward) counting stops there, and the build or forward reports that error.
 */
import { ValueError } from '../errors.js';
import { pair, type Pair } from './layerSpec.js';
import { validateStack } from './shapePass.js';

export interface StackBudget {
  /** Most parameters (weights, biases, BatchNorm affine) the built stack may hold. */
  maxParameters: number;
  /** Most bytes of activations (the input and every layer's output) one forward may keep. */
  maxActivationBytes: number;
}

/**
 * A workstation holds this comfortably: 50 M parameters are 200 MB in float32 (400 MB in float64),
 * and training keeps a gradient and a snapshot of each; 1 GiB of activations per forward.
 */
export const DEFAULT_STACK_BUDGET: StackBudget = { maxParameters: 50_000_000, maxActivationBytes: 1 << 30 };

export interface StackCost {
  parameters: number;
  /** Bytes of the input and every layer's output for one forward (0 when no input shape is given). */
  activationBytes: number;
}

/** Deepest Sequential nesting counted (deeper specs are refused here, before a builder recurses). */
const MAX_DEPTH = 64;

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);

/** Parameters of one layer from its options; a lazy BatchNorm takes the channels it will see (null: unknown yet). */
function layerParameters(s: Record<string, unknown>, inShape: readonly number[] | null): number {
  const affine = s.affine !== false;
  switch (s.type) {
    case 'Linear':
      return int(s.inFeatures) * int(s.outFeatures) + (s.bias === false ? 0 : int(s.outFeatures));
    case 'Conv2d': {
      const [kh, kw] = pair(s.kernelSize as Pair | undefined, 1);
      return int(s.outChannels) * int(s.inChannels) * int(kh) * int(kw) + (s.bias === false ? 0 : int(s.outChannels));
    }
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
    case 'SyncBatchNorm':
      return affine ? 2 * int(s.numFeatures) : 0;
    case 'LazyBatchNorm1d':
    case 'LazyBatchNorm2d':
    case 'LazyBatchNorm3d':
      return affine && inShape && inShape.length >= 2 ? 2 * int(inShape[1]) : 0;
    default:
      return 0;
  }
}

/** Visits every non-container layer with its module path (the shape pass's paths: '0', '2.1', …). */
function eachLayer(
  layers: unknown,
  prefix: string,
  depth: number,
  fn: (l: Record<string, unknown>, path: string) => void,
): void {
  if (!Array.isArray(layers)) return;
  if (depth > MAX_DEPTH) throw new ValueError(`stack spec nests Sequential deeper than ${MAX_DEPTH} levels`);
  layers.forEach((l, i) => {
    if (!l || typeof l !== 'object') return;
    const path = prefix ? `${prefix}.${i}` : String(i);
    const s = l as Record<string, unknown>;
    if (s.type === 'Sequential') eachLayer(s.layers, path, depth + 1, fn);
    else fn(s, path);
  });
}

/**
 * Parameters and activation bytes of `spec` for an input of `inputShape` (null: parameters only).
 * Shapes come from the engine's dry shape pass (shapePass.ts), run in eval mode so a batch of one
 * is still sized; counting stops where a layer cannot take its input (the forward would raise).
 */
export function stackCost(spec: unknown, inputShape: readonly number[] | null): StackCost {
  const s = (spec ?? {}) as { layers?: unknown; dtype?: unknown };
  const bytes = s.dtype === 'float64' ? 8 : 4;
  const inShapes = new Map<string, number[] | null>();
  let activations = 0;
  // Depth first: the shape pass recurses as deep as the spec nests.
  eachLayer(s.layers, '', 1, () => undefined);
  if (inputShape) {
    activations = numel(inputShape);
    const v = validateStack(spec, inputShape, false);
    for (const c of v.layers) {
      inShapes.set(c.path, c.inShape);
      if (c.type !== 'Sequential' && c.outShape) activations += numel(c.outShape);
    }
  }
  let parameters = 0;
  eachLayer(s.layers, '', 1, (l, path) => (parameters += layerParameters(l, inShapes.get(path) ?? null)));
  return { parameters, activationBytes: activations * bytes };
}

/** Bytes as a person reads a budget: bytes, KiB or MiB. */
function size(b: number): string {
  if (b < 1024) return `${b} bytes`;
  if (b < 2 ** 20) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 2 ** 20).toFixed(b < 100 * 2 ** 20 ? 1 : 0)} MiB`;
}

/**
 * Throws a ValueError naming the budget when the stack (times `copies`, e.g. the ranks on this
 * machine) would exceed it. `what` says where the budget comes from (a flag the person can raise).
 */
export function checkStackBudget(
  spec: unknown,
  inputShape: readonly number[] | null,
  budget: StackBudget = DEFAULT_STACK_BUDGET,
  o: { copies?: number; flagHint?: string } = {},
): StackCost {
  const cost = stackCost(spec, inputShape);
  const copies = o.copies ?? 1;
  const hint = o.flagHint ? ` (${o.flagHint})` : '';
  const times = copies > 1 ? ` × ${copies} ranks` : '';
  if (cost.parameters * copies > budget.maxParameters) {
    throw new ValueError(
      `the stack has ${cost.parameters.toLocaleString('en-US')} parameters${times}, over the budget of ` +
        `${budget.maxParameters.toLocaleString('en-US')} parameters${hint}`,
    );
  }
  if (cost.activationBytes * copies > budget.maxActivationBytes) {
    throw new ValueError(
      `one forward of the stack keeps ${size(cost.activationBytes)} of activations${times}, over the budget of ` +
        `${size(budget.maxActivationBytes)}${hint}`,
    );
  }
  return cost;
}
