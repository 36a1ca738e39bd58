/**
 * Differentiable elementwise and reduction ops on float32/float64 tensors.
 * add/sub/mul/div broadcast multidirectionally (numpy rules, engine/tensor/broadcast.ts); each input's
 * gradient is summed back to its own shape. Each op records a GradFn when an input requires grad.
 * Equal-shape add/sub/mul, scaling, sum and ReLU run on the tensors' device (engine/tensor/device.ts:
 * the host device, or CUDA where their outputs stay); broadcasting and div walk host arrays.
 */
import { allocate, type FloatArray } from './dtype.js';
import { attachGrad, Tensor } from './tensor.js';
import { RuntimeError } from '../errors.js';
import { buf, deviceFor, floatDType, type FloatDType } from './device.js';
import { broadcastBinary, broadcastShapes, sumToShape, type BinaryOp } from './broadcast.js';

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** Checks dtypes (float32/float64, equal) and returns the broadcast shape of a binary op's inputs. */
function binaryShape(a: Tensor, b: Tensor, op: string): number[] {
  if (a.dtype !== b.dtype) {
    throw new RuntimeError(`${op}: expected both tensors to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.dtype !== 'float32' && a.dtype !== 'float64') {
    throw new RuntimeError(`${op}: expected float32 or float64 tensors, got ${a.dtype}`);
  }
  return broadcastShapes(a.shape, b.shape);
}

/** `a op b` broadcast: the device kernel for equal shapes (add/sub/mul), else the host walk. */
function binary(op: BinaryOp, a: Tensor, b: Tensor, outShape: readonly number[]): Tensor {
  if (op !== 'div' && sameShape(a, b)) {
    const dev = deviceFor(a, b);
    const out = Tensor.onDevice(dev, a.shape, a.dtype);
    dev[op](a.dtype as FloatDType, buf(dev, a), buf(dev, b), buf(dev, out), out.numel());
    return out;
  }
  return broadcastBinary(op, a, b, outShape);
}

/** A new float tensor of `like`'s dtype and the given shape. */
export function emptyLike(like: Tensor, shape: readonly number[] = like.shape): Tensor {
  return new Tensor(
    allocate(
      like.dtype,
      shape.reduce((p, d) => p * d, 1),
    ),
    shape,
    like.dtype,
  );
}

export function add(a: Tensor, b: Tensor): Tensor {
  const shape = binaryShape(a, b, 'add');
  const out = binary('add', a, b, shape);
  return attachGrad(out, {
    name: 'AddBackward0',
    inputs: [a, b],
    backward: (g) => [a.requiresGrad ? sumToShape(g, a.shape) : null, b.requiresGrad ? sumToShape(g, b.shape) : null],
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const shape = binaryShape(a, b, 'sub');
  const out = binary('sub', a, b, shape);
  return attachGrad(out, {
    name: 'SubBackward0',
    inputs: [a, b],
    backward: (g) => [
      a.requiresGrad ? sumToShape(g, a.shape) : null,
      b.requiresGrad ? sumToShape(mulScalar(g, -1), b.shape) : null,
    ],
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const shape = binaryShape(a, b, 'mul');
  const out = binary('mul', a, b, shape);
  return attachGrad(out, {
    name: 'MulBackward0',
    inputs: [a, b],
    backward: (g) => [
      a.requiresGrad ? sumToShape(binary('mul', g, b, shape), a.shape) : null,
      b.requiresGrad ? sumToShape(binary('mul', g, a, shape), b.shape) : null,
    ],
  });
}

/** a / b (IEEE: x/0 is ±inf or NaN, as in PyTorch); grads g/b and −g·a/b², each summed to its input. */
export function div(a: Tensor, b: Tensor): Tensor {
  const shape = binaryShape(a, b, 'div');
  const out = binary('div', a, b, shape);
  return attachGrad(out, {
    name: 'DivBackward0',
    inputs: [a, b],
    backward: (g) => {
      const ga = binary('div', g, b, shape); // g / b, also the first factor of b's gradient
      return [
        a.requiresGrad ? sumToShape(ga, a.shape) : null,
        // −(g/b)·(a/b) = −(g/b)·out
        b.requiresGrad ? sumToShape(mulScalar(binary('mul', ga, out, shape), -1), b.shape) : null,
      ];
    },
  });
}

export function mulScalar(a: Tensor, s: number): Tensor {
  const dt = floatDType(a);
  const dev = deviceFor(a);
  const out = Tensor.onDevice(dev, a.shape, dt);
  dev.scale(dt, buf(dev, a), s, buf(dev, out), out.numel());
  return attachGrad(out, { name: 'MulBackward1', inputs: [a], backward: (g) => [mulScalar(g, s)] });
}

/** Sum of all elements as a 0-dim tensor (accumulated in double). */
export function sum(a: Tensor): Tensor {
  const dt = floatDType(a);
  const dev = deviceFor(a);
  const out = Tensor.onDevice(dev, [], dt);
  dev.sum(dt, buf(dev, a), buf(dev, out), a.numel());
  const shape = a.shape;
  return attachGrad(out, {
    name: 'SumBackward0',
    inputs: [a],
    backward: (g) => {
      const gi = Tensor.onDevice(dev, shape, dt);
      dev.fillFrom(dt, buf(dev, g), 1, buf(dev, gi), gi.numel());
      return [gi];
    },
  });
}

export function mean(a: Tensor): Tensor {
  return mulScalar(sum(a), 1 / a.numel());
}

export function relu(a: Tensor): Tensor {
  const dt = floatDType(a);
  const dev = deviceFor(a);
  const out = Tensor.onDevice(dev, a.shape, dt);
  const y = buf(dev, out);
  dev.relu(dt, buf(dev, a), y, out.numel());
  return attachGrad(out, {
    name: 'ReluBackward0',
    inputs: [a],
    backward: (g) => {
      const gi = Tensor.onDevice(dev, g.shape, dt);
      dev.reluBackward(dt, y, buf(dev, g), buf(dev, gi), gi.numel());
      return [gi];
    },
  });
}

/** Concatenation along dim 0 (used to compare ranks' shards with one batch). */
export function cat0(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new RuntimeError('torch.cat(): expected a non-empty list of Tensors');
  const first = parts[0]!;
  const rest = first.shape.slice(1);
  let n = 0;
  for (const p of parts) {
    if (
      p.dtype !== first.dtype ||
      p.shape.length !== first.shape.length ||
      p.shape.slice(1).some((d, i) => d !== rest[i])
    ) {
      throw new RuntimeError('torch.cat(): Sizes of tensors must match except in dimension 0');
    }
    n += p.shape[0]!;
  }
  const out = emptyLike(first, [n, ...rest]);
  let off = 0;
  for (const p of parts) {
    (out.data as FloatArray).set(p.data as FloatArray, off);
    off += p.numel();
  }
  return out;
}
