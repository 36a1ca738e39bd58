/**
 * SGD as torch.optim.SGD: for each parameter p with gradient g,
 *   g ← g + weight_decay·p
 *   buf ← g (first step) or momentum·buf + (1 − dampening)·g
 *   g ← g + momentum·buf (nesterov) or buf
 *   p ← p − lr·g
 * Refuses uninitialized (lazy) parameters with PyTorch's explanation. The update runs on the
 * parameter's Device (engine/tensor/device.ts); momentum buffers (float64) live on that device too.
 */
import type { Parameter } from '../nn/parameter.js';
import { assertInitialized } from '../nn/parameter.js';
import { ValueError } from '../errors.js';
import { buf, deviceFor, floatDType, writeBuf, type Device } from '../tensor/device.js';
import type { DeviceBuffer } from '../tensor/storage.js';

/** A momentum buffer in double on the device that made it. */
interface MomentumBuffer {
  dev: Device;
  buffer: DeviceBuffer;
}

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
    const { lr, momentum, dampening, weightDecay, nesterov } = this.options;
    for (const p of this.params) {
      assertInitialized(p, 'SGD.step');
      const grad = p.grad;
      if (!grad) continue;
      const dt = floatDType(p);
      floatDType(grad);
      const dev = deviceFor(p, grad);
      const mb = momentum !== 0 ? this.momentumOn(dev, p) : null;
      const first = mb?.fresh ?? true;
      const mbuf = mb ? mb.buffer : null;
      dev.sgdStep(
        dt,
        writeBuf(dev, p)!,
        buf(dev, grad),
        mbuf,
        p.numel(),
        lr,
        momentum,
        dampening,
        weightDecay,
        nesterov,
        first,
      );
    }
  }

  /**
   * p's momentum buffer on `dev`: a new one on the first step (`fresh`), else the last step's, moved
   * over when that step ran on another device (the backend changed between steps).
   */
  private momentumOn(dev: Device, p: Parameter): { buffer: DeviceBuffer; fresh: boolean } {
    const n = p.numel();
    const mb = this.momentumBuffers.get(p);
    if (!mb) {
      const buffer = dev.alloc(n * 8);
      this.momentumBuffers.set(p, { dev, buffer });
      return { buffer, fresh: true };
    }
    if (mb.dev !== dev) {
      const host = new Float64Array(n);
      if (n > 0) mb.dev.download(mb.buffer, host);
      const buffer = dev.alloc(n * 8);
      if (n > 0) dev.upload(buffer, host);
      this.momentumBuffers.set(p, { dev, buffer });
      return { buffer, fresh: false };
    }
    return { buffer: mb.buffer, fresh: false };
  }
}
