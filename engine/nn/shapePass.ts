/**
 * A dry forward of a stack spec on shapes alone (what PyTorch's meta device gives): each layer's
 * input and output shape and the first error its forward would raise, for a batch shape and a
 * training flag, without allocating a parameter or an activation. The checks are the forwards' own
 * (shapeRules.ts), run in the order the forwards run them, so the texts are PyTorch's as the engine
 * raises them; shapePass.test.ts compares every case with a real forward of the built stack.
 */
import { EngineError } from '../errors.js';
import {
  isNormType,
  pair,
  stackSpecProblem,
  type LayerCheck,
  type LayerSpec,
  type NormLayerSpec,
  type StackValidation,
} from './layerSpec.js';
import {
  check1dRank,
  checkFeatures,
  checkNdRank,
  checkSyncInput,
  conv2dShape,
  flattenShape,
  lazyChannels,
  linearShape,
  verifyBatchSize,
} from './shapeRules.js';

type Shape = number[];

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Each BatchNorm class's `_check_input_dim`. */
function checkNormRank(type: NormLayerSpec['type'], shape: Shape): void {
  if (type === 'SyncBatchNorm') return checkSyncInput(shape);
  if (type.endsWith('1d')) return check1dRank(shape.length);
  checkNdRank(shape.length, type.endsWith('2d') ? 4 : 5);
}

/** _BatchNorm.forward then F.batch_norm, as far as shapes decide. */
function normShape(l: NormLayerSpec, shape: Shape, training: boolean, warnings: string[]): Shape {
  let numFeatures: number;
  if (l.type.startsWith('Lazy')) {
    numFeatures = lazyChannels(shape);
    warnings.push(`num_features will be inferred as ${numFeatures} on the first forward`);
  } else numFeatures = (l as { numFeatures: number }).numFeatures;
  checkNormRank(l.type, shape);
  const track = l.trackRunningStats ?? true;
  const affine = l.affine ?? true;
  // Mini-batch statistics in training, and in eval when there are no running buffers.
  const bnTraining = training || !track;
  if (bnTraining) verifyBatchSize(shape);
  if (prod(shape) === 0) {
    warnings.push('empty batch: the forward returns an empty output');
    return shape;
  }
  const c = shape[1]!;
  checkFeatures('running_mean', track ? numFeatures : null, c);
  checkFeatures('running_var', track ? numFeatures : null, c);
  checkFeatures('weight', affine ? numFeatures : null, c);
  checkFeatures('bias', affine ? numFeatures : null, c);
  if (c !== numFeatures) {
    warnings.push(`num_features=${numFeatures} but the input has ${c} channels (no buffer or weight checks it)`);
  }
  if (l.momentum === null) warnings.push('momentum=None: running stats are a cumulative average (factor 1/n)');
  return shape;
}

/** The output shape of one non-container layer (throws the forward's error). */
function layerShape(
  l: Exclude<LayerSpec, { type: 'Sequential' }>,
  shape: Shape,
  training: boolean,
  warnings: string[],
): Shape {
  switch (l.type) {
    case 'ReLU':
      return shape;
    case 'Flatten':
      return flattenShape(shape, l.startDim ?? 1, l.endDim ?? -1);
    case 'Linear':
      return linearShape(shape, l.inFeatures, l.outFeatures);
    case 'Conv2d': {
      const k = pair(l.kernelSize, 1);
      return conv2dShape(shape, [l.outChannels, l.inChannels, ...k], pair(l.stride, 1), pair(l.padding, 0));
    }
    default:
      if (isNormType(l.type)) return normShape(l, shape, training, warnings);
      throw new Error(`no shape rule for ${(l as { type: string }).type}`);
  }
}

interface Flow {
  checks: LayerCheck[];
  failed: boolean;
}

function flowLayer(l: LayerSpec, path: string, shape: Shape, training: boolean, flow: Flow): Shape | null {
  const check: LayerCheck = { path, type: l.type, inShape: [...shape], outShape: null, error: null, warnings: [] };
  flow.checks.push(check);
  if (l.type === 'Sequential') {
    let s: Shape | null = shape;
    l.layers.forEach((child, i) => {
      if (s) s = flowLayer(child, path ? `${path}.${i}` : String(i), s, training, flow);
    });
    check.outShape = s ? [...s] : null;
    return s;
  }
  try {
    const out = layerShape(l, shape, training, check.warnings);
    check.outShape = [...out];
    return out;
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    check.error = e.message;
    flow.failed = true;
    return null;
  }
}

/**
 * Checks a stack spec for an input shape: the spec's first problem (specError), or every layer's
 * shapes with the first error a forward would raise (`training` as the module's mode).
 */
export function validateStack(spec: unknown, inputShape: readonly number[], training = true): StackValidation {
  const specError = stackSpecProblem(spec);
  if (specError) return { ok: false, layers: [], outputShape: null, specError };
  if (inputShape.length < 1 || inputShape.some((n) => !Number.isInteger(n) || n < 0)) {
    const got = `[${inputShape.join(', ')}]`;
    return {
      ok: false,
      layers: [],
      outputShape: null,
      specError: `input shape must be non-negative integers (got ${got})`,
    };
  }
  const flow: Flow = { checks: [], failed: false };
  let shape: Shape | null = [...inputShape];
  for (const [i, l] of (spec as { layers: LayerSpec[] }).layers.entries()) {
    if (shape) shape = flowLayer(l, String(i), shape, training, flow);
  }
  return { ok: !flow.failed, layers: flow.checks, outputShape: shape, specError: null };
}
