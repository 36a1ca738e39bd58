/**
 * Shape flow through a stack spec, checked ahead of building it: each layer's input and output shape,
 * and the first error PyTorch would raise at that layer (its exact text), for a given batch shape and
 * training flag. The Stack builder shows these inline, so a person sees a num_features mismatch or the
 * one-value-per-channel rule before running anything.
 */
import type { LayerCheck, StackValidation } from '../shared/contract.js';
import { LAYER_TYPES, type LayerSpec, type StackSpec } from '../shared/stackSpec.js';

const torchSize = (s: readonly number[]): string => `torch.Size([${s.join(', ')}])`;
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Input ranks each BatchNorm type accepts, and PyTorch's message when the rank is wrong. */
const NORM_RANK: Record<string, { ok: (d: number) => boolean; msg: (d: number) => string }> = {
  BatchNorm1d: { ok: (d) => d === 2 || d === 3, msg: (d) => `expected 2D or 3D input (got ${d}D input)` },
  LazyBatchNorm1d: { ok: (d) => d === 2 || d === 3, msg: (d) => `expected 2D or 3D input (got ${d}D input)` },
  BatchNorm2d: { ok: (d) => d === 4, msg: (d) => `expected 4D input (got ${d}D input)` },
  LazyBatchNorm2d: { ok: (d) => d === 4, msg: (d) => `expected 4D input (got ${d}D input)` },
  BatchNorm3d: { ok: (d) => d === 5, msg: (d) => `expected 5D input (got ${d}D input)` },
  LazyBatchNorm3d: { ok: (d) => d === 5, msg: (d) => `expected 5D input (got ${d}D input)` },
  SyncBatchNorm: { ok: (d) => d >= 2, msg: (d) => `expected at least 2D input (got ${d}D input)` },
};

function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** A problem with the spec itself (missing/invalid option), else null. */
export function specProblem(layer: LayerSpec, path: string): string | null {
  if (!LAYER_TYPES.includes(layer.type)) return `layer ${path}: unknown type ${JSON.stringify(layer.type)}`;
  const need = (...keys: (keyof LayerSpec)[]): string | null => {
    for (const k of keys)
      if (!positiveInt(layer[k])) return `layer ${path} (${layer.type}): ${k} must be a positive integer`;
    return null;
  };
  switch (layer.type) {
    case 'Linear':
      return need('inFeatures', 'outFeatures');
    case 'Conv2d':
      return need('inChannels', 'outChannels', 'kernelSize');
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
    case 'SyncBatchNorm':
      return need('numFeatures');
    case 'Sequential':
      return Array.isArray(layer.layers) ? null : `layer ${path} (Sequential): layers must be a list`;
    default:
      return null;
  }
}

interface Flow {
  checks: LayerCheck[];
  failed: boolean;
}

function flowLayer(layer: LayerSpec, path: string, shape: number[], training: boolean, flow: Flow): number[] | null {
  const check: LayerCheck = { path, type: layer.type, inShape: [...shape], outShape: null, error: null, warnings: [] };
  flow.checks.push(check);
  const fail = (msg: string): null => {
    check.error = msg;
    flow.failed = true;
    return null;
  };
  const d = shape.length;
  switch (layer.type) {
    case 'Sequential': {
      let s: number[] | null = shape;
      (layer.layers ?? []).forEach((child, i) => {
        if (s) s = flowLayer(child, path ? `${path}.${i}` : String(i), s, training, flow);
      });
      check.outShape = s ? [...s] : null;
      return s;
    }
    case 'ReLU':
      check.outShape = [...shape];
      return shape;
    case 'Flatten': {
      if (d < 2) return fail(`Dimension out of range (expected to be in range of [-${d}, ${d - 1}], but got 1)`);
      const out = [shape[0]!, prod(shape.slice(1))];
      check.outShape = out;
      return out;
    }
    case 'Linear': {
      const inF = layer.inFeatures!;
      const last = shape[d - 1];
      if (d < 1 || last !== inF) {
        const rows = prod(shape.slice(0, -1));
        return fail(`mat1 and mat2 shapes cannot be multiplied (${rows}x${last ?? 0} and ${inF}x${layer.outFeatures})`);
      }
      const out = [...shape.slice(0, -1), layer.outFeatures!];
      check.outShape = out;
      return out;
    }
    case 'Conv2d': {
      const k = layer.kernelSize!;
      const s = layer.stride ?? 1;
      const p = layer.padding ?? 0;
      if (d !== 3 && d !== 4) {
        return fail(
          `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${shape.join(', ')}]`,
        );
      }
      const c = shape[d - 3]!;
      if (c !== layer.inChannels) {
        return fail(
          `Given groups=1, weight of size [${layer.outChannels}, ${layer.inChannels}, ${k}, ${k}], expected input[${shape.join(', ')}] to have ${layer.inChannels} channels, but got ${c} channels instead`,
        );
      }
      const h = shape[d - 2]! + 2 * p;
      const w = shape[d - 1]! + 2 * p;
      if (h < k || w < k) {
        return fail(
          `Calculated padded input size per channel: (${h} x ${w}). Kernel size: (${k} x ${k}). Kernel size can't be greater than actual input size`,
        );
      }
      const out = [
        ...shape.slice(0, d - 3),
        layer.outChannels!,
        Math.floor((h - k) / s) + 1,
        Math.floor((w - k) / s) + 1,
      ];
      check.outShape = out;
      return out;
    }
    default: {
      const rule = NORM_RANK[layer.type]!;
      if (!rule.ok(d)) return fail(rule.msg(d));
      const c = shape[1]!;
      if (layer.type === 'SyncBatchNorm' && c === 0)
        return fail('SyncBatchNorm number of input channels should be non-zero');
      const lazy = layer.type.startsWith('Lazy');
      const track = layer.trackRunningStats ?? true;
      const affine = layer.affine ?? true;
      if (!lazy && c !== layer.numFeatures) {
        // F.batch_norm checks running_mean, running_var, weight, bias in that order, each only when present.
        const first = track ? 'running_mean' : affine ? 'weight' : null;
        if (first) return fail(`${first} should contain ${c} elements not ${layer.numFeatures}`);
        check.warnings.push(
          `num_features=${layer.numFeatures} but the input has ${c} channels (no buffer or weight checks it)`,
        );
      }
      if (lazy) check.warnings.push(`num_features will be inferred as ${c} on the first forward`);
      const perChannel = shape[0]! * prod(shape.slice(2));
      if (training && perChannel === 1) {
        return fail(`Expected more than 1 value per channel when training, got input size ${torchSize(shape)}`);
      }
      if (perChannel === 0) check.warnings.push('empty batch: the forward returns an empty output');
      if (layer.momentum === null)
        check.warnings.push('momentum=None: running stats are a cumulative average (factor 1/n)');
      check.outShape = [...shape];
      return shape;
    }
  }
}

function collectSpecProblems(layers: LayerSpec[], prefix: string): string | null {
  for (let i = 0; i < layers.length; i++) {
    const path = prefix ? `${prefix}.${i}` : String(i);
    const p = specProblem(layers[i]!, path);
    if (p) return p;
    if (layers[i]!.type === 'Sequential') {
      const inner = collectSpecProblems(layers[i]!.layers ?? [], path);
      if (inner) return inner;
    }
  }
  return null;
}

/** Checks a stack for a batch shape; `training` applies the one-value-per-channel rule. */
export function validateStack(spec: StackSpec, inputShape: number[], training = true): StackValidation {
  const specError = collectSpecProblems(spec.layers, '');
  if (specError) return { ok: false, layers: [], outputShape: null, specError };
  if (inputShape.length < 1 || inputShape.some((n) => !Number.isInteger(n) || n < 0)) {
    return {
      ok: false,
      layers: [],
      outputShape: null,
      specError: `input shape must be non-negative integers (got [${inputShape.join(', ')}])`,
    };
  }
  const flow: Flow = { checks: [], failed: false };
  let shape: number[] | null = inputShape;
  spec.layers.forEach((layer, i) => {
    if (shape) shape = flowLayer(layer, String(i), shape, training, flow);
  });
  return { ok: !flow.failed, layers: flow.checks, outputShape: shape, specError: null };
}
