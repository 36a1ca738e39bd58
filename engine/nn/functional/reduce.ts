/**
 * reduceMean: ONNX ReduceMean (opsets 13–17: axes is an attribute; absent means every axis) and
 * PyTorch's mean(dim, keepdim). Sums run in double (engine/tensor/broadcast.ts sumToShape, which walks
 * the input once), then divide by the count; the gradient spreads g / count over each reduced group.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { expandTo, sumToShape } from '../../tensor/broadcast.js';
import { normalizeAxes } from './axes.js';

export function reduceMean(x: Tensor, axes: readonly number[] | null = null, keepdims = true): Tensor {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new RuntimeError(`reduceMean: expected a float32 or float64 input, got ${x.dtype}`);
  }
  const r = x.dim();
  const ax = axes === null ? [...Array(r).keys()] : normalizeAxes(axes, r);
  const reduced = new Set(ax);
  const kept = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keepdims ? kept : x.shape.filter((_, i) => !reduced.has(i));
  let count = 1;
  for (const a of reduced) count *= x.shape[a]!;
  const xd = x.detach();
  const s = sumToShape(xd, kept); // xd itself when nothing is reduced (every reduced axis has size 1)
  const out = new Tensor(s === xd ? (xd.hostView().slice() as FloatArray) : s.storage, outShape, x.dtype);
  const od = out.data as FloatArray;
  for (let i = 0; i < od.length; i++) od[i] = od[i]! / count;
  return attachGrad(out, {
    name: 'MeanBackward1',
    inputs: [x],
    backward: (g) => {
      const gx = expandTo(new Tensor(g.storage, kept, g.dtype), x.shape);
      const d = gx.data as FloatArray;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! / count;
      return [gx];
    },
  });
}
