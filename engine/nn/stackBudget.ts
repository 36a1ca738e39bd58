/**
 * What a stack spec will cost before anything is allocated: parameter count and the bytes of the
 * activations one forward pass keeps for backward, computed from the spec and the input shape alone.
 * The host's build path and the rank coordinator call checkStackBudget() first, so a spec of two
 * 16384×16384 Linear layers is refused with an error naming the budget instead of taking gigabytes.
 *
 * Shapes follow the layers the way buildStack's modules would; where a layer cannot take the shape
 * (PyTorch would raise at forward) counting stops there, the build or forward reports that error.
 */
import { ValueError } from '../errors.js';

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
const pair = (v: unknown, dflt: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1])] : typeof v === 'number' ? [v, v] : [dflt, dflt];

interface Walk {
  parameters: number;
  activations: number;
  /** The current shape, or null once a layer could not take it. */
  shape: number[] | null;
}

function normParams(s: Record<string, unknown>, features: number): number {
  return s.affine === false ? 0 : 2 * features;
}

function walkLayer(spec: unknown, w: Walk, depth: number): void {
  if (!spec || typeof spec !== 'object') return;
  const s = spec as Record<string, unknown>;
  const shape = w.shape;
  let out: number[] | null = null;
  switch (s.type) {
    case 'Linear': {
      const inF = int(s.inFeatures);
      const outF = int(s.outFeatures);
      w.parameters += inF * outF + (s.bias === false ? 0 : outF);
      if (shape && shape.length >= 1 && shape[shape.length - 1] === inF) out = [...shape.slice(0, -1), outF];
      break;
    }
    case 'Conv2d': {
      const inC = int(s.inChannels);
      const outC = int(s.outChannels);
      const [kh, kw] = pair(s.kernelSize, 0);
      const [sh, sw] = pair(s.stride, 1);
      const [ph, pw] = pair(s.padding, 0);
      w.parameters += outC * inC * kh * kw + (s.bias === false ? 0 : outC);
      if (shape && (shape.length === 3 || shape.length === 4) && shape[shape.length - 3] === inC && sh > 0 && sw > 0) {
        const h = Math.floor((shape[shape.length - 2]! + 2 * ph - kh) / sh) + 1;
        const wd = Math.floor((shape[shape.length - 1]! + 2 * pw - kw) / sw) + 1;
        if (h > 0 && wd > 0) out = [...shape.slice(0, -3), outC, h, wd];
      }
      break;
    }
    case 'ReLU':
      out = shape;
      break;
    case 'Flatten': {
      if (shape) {
        const nd = shape.length;
        const st = typeof s.startDim === 'number' ? s.startDim : 1;
        const en = typeof s.endDim === 'number' ? s.endDim : -1;
        const a = st < 0 ? st + nd : st;
        const b = en < 0 ? en + nd : en;
        if (a >= 0 && b < nd && a <= b)
          out = [...shape.slice(0, a), numel(shape.slice(a, b + 1)), ...shape.slice(b + 1)];
      }
      break;
    }
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
    case 'SyncBatchNorm':
      w.parameters += normParams(s, int(s.numFeatures));
      out = shape;
      break;
    case 'LazyBatchNorm1d':
    case 'LazyBatchNorm2d':
    case 'LazyBatchNorm3d':
      // Materialized on the first forward with the input's channel count.
      if (shape && shape.length >= 2) w.parameters += normParams(s, shape[1]!);
      out = shape;
      break;
    case 'Sequential': {
      if (depth >= MAX_DEPTH) throw new ValueError(`stack spec nests Sequential deeper than ${MAX_DEPTH} levels`);
      if (!Array.isArray(s.layers)) return;
      for (const l of s.layers) walkLayer(l, w, depth + 1);
      return; // the children counted their outputs
    }
    default:
      return;
  }
  w.shape = out;
  if (out) w.activations += numel(out);
}

/** Parameters and activation elements×bytes of `spec` for an input of `inputShape` (null: parameters only). */
export function stackCost(spec: unknown, inputShape: readonly number[] | null): StackCost {
  const s = (spec ?? {}) as { layers?: unknown; dtype?: unknown };
  const bytes = s.dtype === 'float64' ? 8 : 4;
  const shape = inputShape ? [...inputShape] : null;
  const w: Walk = { parameters: 0, activations: shape ? numel(shape) : 0, shape };
  for (const l of Array.isArray(s.layers) ? s.layers : []) walkLayer(l, w, 1);
  return { parameters: w.parameters, activationBytes: w.activations * bytes };
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(b < 2 ** 20 ? 2 : b < 100 * 2 ** 20 ? 1 : 0)} MiB`;

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
      `one forward of the stack keeps ${mib(cost.activationBytes)} of activations${times}, over the budget of ` +
        `${mib(budget.maxActivationBytes)}${hint}`,
    );
  }
  return cost;
}
