/**
 * SGD as torch.optim.SGD: for each parameter p with gradient g,
 *   g ← g + weight_decay·p
 *   buf ← g (first step) or momentum·buf + (1 − dampening)·g
 *   g ← g + momentum·buf (nesterov) or buf
 *   p ← p − lr·g
 * Refuses uninitialized (lazy) parameters with PyTorch's explanation.
 */
import type { Parameter } from '../nn/parameter.js';
import { assertInitialized } from '../nn/parameter.js';
import type { FloatArray } from '../tensor/dtype.js';
import { ValueError } from '../errors.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD {
  readonly params: Parameter[];
  readonly options: Required<SGDOptions>;
  private readonly momentumBuffers = new Map<Parameter, Float64Array>();

  constructor(params: Iterable<Parameter>, opts: SGDOptions) {
    this.params = [...params];
    this.options = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts };
    const o = this.options;
    if (!(o.lr >= 0)) throw new ValueError(`Invalid learning rate: ${o.lr}`);
    if (o.momentum < 0) throw new ValueError(`Invalid momentum value: ${o.momentum}`);
    if (o.weightDecay < 0) throw new ValueError(`Invalid weight_decay value: ${o.weightDecay}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
    if (this.params.length === 0) throw new ValueError('optimizer got an empty parameter list');
    for (const p of this.params) assertInitialized(p, 'SGD');
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  step(): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.options;
    for (const p of this.params) {
      assertInitialized(p, 'SGD.step');
      if (!p.grad) continue;
      const w = p.floatData();
      const g = p.grad.floatData();
      let buf = this.momentumBuffers.get(p);
      const first = !buf;
      if (momentum !== 0 && !buf) {
        buf = new Float64Array(w.length);
        this.momentumBuffers.set(p, buf);
      }
      for (let i = 0; i < w.length; i++) {
        let d = g[i]! + weightDecay * w[i]!;
        if (momentum !== 0) {
          const b = first ? d : momentum * buf![i]! + (1 - dampening) * d;
          buf![i] = b;
          d = nesterov ? d + momentum * b : b;
        }
        (w as FloatArray)[i] = w[i]! - lr * d;
      }
    }
  }
}
