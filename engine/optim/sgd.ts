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
import type { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../errors.js';
import { buf, deviceFor, writeBuf, type DeviceOps, type FloatDType } from '../tensor/device.js';
import type { DeviceBuffer } from '../tensor/storage.js';

/** A momentum buffer in double (as the host path's Float64Array), on the host or on a device. */
type MomentumBuffer = Float64Array | { dev: DeviceOps; buffer: DeviceBuffer };

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
  private readonly momentumBuffers = new Map<Parameter, MomentumBuffer>();

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
    for (const p of this.params) {
      assertInitialized(p, 'SGD.step');
      if (!p.grad) continue;
      const dev = deviceFor(p, p.grad);
      if (dev) this.stepOnDevice(dev, p, p.grad);
      else this.stepOnHost(p, p.grad);
    }
  }

  private stepOnHost(p: Parameter, grad: Tensor): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.options;
    const w = p.floatData();
    const g = grad.floatData();
    let buf = this.hostMomentum(p);
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

  /** The same update on the device: parameter and momentum buffer stay there. */
  private stepOnDevice(dev: DeviceOps, p: Parameter, grad: Tensor): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.options;
    const n = p.numel();
    let mb = this.momentumBuffers.get(p);
    const first = !mb;
    if (mb instanceof Float64Array) {
      // Stepped on the host before (the backend changed): carry the buffer over.
      const moved = dev.alloc(n * 8);
      if (n > 0) dev.upload(moved, mb);
      mb = { dev, buffer: moved };
      this.momentumBuffers.set(p, mb);
    } else if (momentum !== 0 && !mb) {
      mb = { dev, buffer: dev.alloc(n * 8) };
      this.momentumBuffers.set(p, mb);
    }
    const mbuf = mb && !(mb instanceof Float64Array) ? mb.buffer : null;
    const dt = p.dtype as FloatDType;
    dev.sgdStep(dt, writeBuf(dev, p)!, buf(dev, grad), mbuf, n, lr, momentum, dampening, weightDecay, nesterov, first);
  }

  /** The host momentum buffer, brought back from the device when the last step ran there. */
  private hostMomentum(p: Parameter): Float64Array | undefined {
    const mb = this.momentumBuffers.get(p);
    if (!mb || mb instanceof Float64Array) return mb;
    const host = new Float64Array(p.numel());
    if (host.length > 0) mb.dev.download(mb.buffer, host);
    this.momentumBuffers.set(p, host);
    return host;
  }
}
