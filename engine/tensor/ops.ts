/**
 * Differentiable elementwise and reduction ops on float32/float64 tensors.
 * Shapes must match exactly (no general broadcasting: the layers that need a bias broadcast do it
 * in their own fused ops). Each op records a GradFn when an input requires grad. On a backend with a
 * device (CUDA) they run there and their outputs stay there (engine/tensor/device.ts).
 */
import { allocate, type FloatArray } from './dtype.js';
import { attachGrad, Tensor } from './tensor.js';
import { RuntimeError } from '../errors.js';
import { buf, deviceFor, type DeviceOps, type FloatDType } from './device.js';

function sameShape(a: Tensor, b: Tensor, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RuntimeError(
      `${op}: the size of tensor a ([${a.shape.join(', ')}]) must match the size of tensor b ([${b.shape.join(', ')}])`,
    );
  }
  if (a.dtype !== b.dtype) {
    throw new RuntimeError(`${op}: expected both tensors to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  }
}

/** A new float tensor of `like`'s dtype and the given shape. */
export function emptyLike(like: Tensor, shape: readonly number[] = like.shape): Tensor {
  return new Tensor(allocate(like.dtype, shape.reduce((p, d) => p * d, 1)), shape, like.dtype);
}

type BinaryKernel = 'add' | 'sub' | 'mul';

/** `a op b` elementwise: on the device when there is one, else `f` on the host. */
function map2(a: Tensor, b: Tensor, kernel: BinaryKernel, f: (x: number, y: number) => number): Tensor {
  const dev = deviceFor(a, b);
  if (dev) {
    const out = Tensor.onDevice(dev, a.shape, a.dtype);
    dev[kernel](a.dtype as FloatDType, buf(dev, a), buf(dev, b), buf(dev, out), out.numel());
    return out;
  }
  const out = emptyLike(a);
  const ad = a.floatData();
  const bd = b.floatData();
  const od = out.data as FloatArray;
  for (let i = 0; i < od.length; i++) od[i] = f(ad[i]!, bd[i]!);
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'add');
  const out = map2(a, b, 'add', (x, y) => x + y);
  return attachGrad(out, { name: 'AddBackward0', inputs: [a, b], backward: (g) => [g, g] });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'sub');
  const out = map2(a, b, 'sub', (x, y) => x - y);
  return attachGrad(out, {
    name: 'SubBackward0',
    inputs: [a, b],
    backward: (g) => [g, mulScalar(g, -1)],
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'mul');
  const out = map2(a, b, 'mul', (x, y) => x * y);
  return attachGrad(out, {
    name: 'MulBackward0',
    inputs: [a, b],
    backward: (g) => [map2(g, b, 'mul', (x, y) => x * y), map2(g, a, 'mul', (x, y) => x * y)],
  });
}

export function mulScalar(a: Tensor, s: number): Tensor {
  const dev = deviceFor(a);
  let out: Tensor;
  if (dev) {
    out = Tensor.onDevice(dev, a.shape, a.dtype);
    dev.scale(a.dtype as FloatDType, buf(dev, a), s, buf(dev, out), out.numel());
  } else {
    out = emptyLike(a);
    const ad = a.floatData();
    const od = out.data as FloatArray;
    for (let i = 0; i < od.length; i++) od[i] = ad[i]! * s;
  }
  return attachGrad(out, { name: 'MulBackward1', inputs: [a], backward: (g) => [mulScalar(g, s)] });
}

/** Sum of all elements as a 0-dim tensor (accumulated in double). */
export function sum(a: Tensor): Tensor {
  const dev = deviceFor(a);
  if (dev) return sumOnDevice(dev, a);
  const ad = a.floatData();
  let s = 0;
  for (let i = 0; i < ad.length; i++) s += ad[i]!;
  const out = emptyLike(a, []);
  (out.data as FloatArray)[0] = s;
  const shape = a.shape;
  return attachGrad(out, {
    name: 'SumBackward0',
    inputs: [a],
    backward: (g) => [emptyLike(a, shape).fill_(g.item())],
  });
}

function sumOnDevice(dev: DeviceOps, a: Tensor): Tensor {
  const dt = a.dtype as FloatDType;
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
  const dev = deviceFor(a);
  if (dev) return reluOnDevice(dev, a);
  const out = emptyLike(a);
  const ad = a.floatData();
  const od = out.data as FloatArray;
  for (let i = 0; i < od.length; i++) od[i] = ad[i]! > 0 ? ad[i]! : 0;
  return attachGrad(out, {
    name: 'ReluBackward0',
    inputs: [a],
    backward: (g) => {
      const gi = emptyLike(g);
      const gd = g.floatData();
      const gid = gi.data as FloatArray;
      for (let i = 0; i < gid.length; i++) gid[i] = od[i]! > 0 ? gd[i]! : 0;
      return [gi];
    },
  });
}

function reluOnDevice(dev: DeviceOps, a: Tensor): Tensor {
  const dt = a.dtype as FloatDType;
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
    if (p.dtype !== first.dtype || p.shape.length !== first.shape.length || p.shape.slice(1).some((d, i) => d !== rest[i])) {
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
