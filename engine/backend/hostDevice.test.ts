// The host device (hostDevice.ts): ops run on the tensors' own arrays, their outputs come from the
// caching allocator (so tidy() releases what it does not return), mixed dtypes take the host device, and
// SGD's momentum follows a parameter from one backend's device to another's.
import { afterEach, describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { buf, deviceFor } from '../tensor/device.js';
import { relu, mulScalar, sum } from '../tensor/ops.js';
import { linear } from '../nn/functional/linear.js';
import { conv } from '../nn/functional/conv.js';
import { mseLoss, crossEntropy } from '../nn/functional/losses.js';
import { batchNorm } from '../nn/functional/batchNorm.js';
import { tidy } from '../tensor/scope.js';
import { SGD } from '../optim/sgd.js';
import { Parameter } from '../nn/parameter.js';
import { backendInfo, getBackend, setBackend } from './registry.js';

function ramp(shape: number[], scale = 0.1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * scale * (1 + (i % 5))),
    shape,
  );
}

describe('host device', () => {
  const start = getBackend().name;
  afterEach(() => {
    setBackend(start);
  });

  it('hands out the tensor’s own array as its buffer (no copy)', () => {
    setBackend('ts');
    const t = ramp([64]);
    const dev = deviceFor(t);
    expect(dev.host).toBe(true);
    expect(buf(dev, t)).toBe(t.hostView());
  });

  it('mixed dtypes run on the host device', () => {
    const a = ramp([4]);
    const b = new Tensor(new Float64Array(4), [4]);
    expect(deviceFor(a, b).host).toBe(true);
    expect(deviceFor(a, new Tensor(new BigInt64Array(4), [4])).host).toBe(true);
  });

  it('non-float tensors get floatData()’s error from the ops', () => {
    const ints = new Tensor(new BigInt64Array(4), [4]);
    expect(() => relu(ints)).toThrow('expected a float32 or float64 tensor, got int64');
    expect(() => mulScalar(ints, 2)).toThrow('expected a float32 or float64 tensor, got int64');
    expect(() => sum(ints)).toThrow('expected a float32 or float64 tensor, got int64');
    expect(() => linear(ints.reshape([1, 4]), ramp([2, 4]))).toThrow('got int64');
  });

  it('tidy() releases the outputs of ReLU, Linear, Conv, the losses and BatchNorm that it does not return', () => {
    setBackend('ts');
    // Big enough for the caching allocator (16 KiB and up); smaller arrays are plain garbage.
    const x = ramp([8, 4, 16, 16]);
    const w = ramp([4, 4, 3, 3]);
    const lw = ramp([16, 16]);
    const made: Tensor[] = [];
    const kept = tidy(() => {
      const c = conv(x, w, null, { pads: [1, 1, 1, 1] });
      const r = relu(c);
      const b = batchNorm(r, null, null, { training: true });
      const l = linear(b, lw);
      made.push(c, r, b, l);
      const loss = mseLoss(l, x);
      const ce = crossEntropy(l.reshape([-1, 16]), new Tensor(new BigInt64Array(8 * 4 * 16), [8 * 4 * 16]));
      return [loss.item(), ce.item(), mulScalar(l, 2)];
    });
    for (const t of made) expect(t.storage.isReleased).toBe(true);
    const y = kept[2] as Tensor;
    expect(y.storage.isReleased).toBe(false);
    expect(Number.isFinite(y.getFlat(0))).toBe(true);
  });

  it('SGD carries its momentum over when the parameter’s device changes between steps', () => {
    const other = backendInfo().backends.find((b) => b.available && b.name !== 'ts')?.name;
    if (!other) return; // only the TypeScript backend here: no second device to move to
    const run = (second: 'ts' | typeof other): number[] => {
      setBackend('ts');
      const p = new Parameter(new Tensor(Float64Array.from([1, -2, 3, 0.5]), [4]));
      const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 });
      for (let step = 0; step < 3; step++) {
        if (step === 2) setBackend(second);
        p.grad = new Tensor(Float64Array.from([0.5, 0.25, -1, 2].map((v) => v * (step + 1))), [4]);
        opt.step();
      }
      return Array.from(p.data as Float64Array);
    };
    const moved = run(other);
    expect(getBackend().name).toBe(other);
    expect(moved).toEqual(run('ts'));
  });
});
