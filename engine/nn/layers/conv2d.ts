/**
 * Conv2d: 2-D cross-correlation over NCHW input with stride and zero padding (groups = 1,
 * dilation = 1). Weight (out, in, kh, kw) and bias start uniform in ±1/√(in·kh·kw) like PyTorch's.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { rand } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { conv2d } from '../functional/conv2d.js';

export type Pair = number | [number, number];

export interface Conv2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  dtype?: DType;
}

export function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : v;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dModuleOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 1);
    this.stride = pair(opts.stride, 1);
    this.padding = pair(opts.padding, 0);
    const fanIn = inChannels * this.kernelSize[0] * this.kernelSize[1];
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    const dtype = opts.dtype ?? 'float32';
    this.registerParameter(
      'weight',
      new Parameter(rand([outChannels, inChannels, ...this.kernelSize], { dtype, low: -bound, high: bound })),
    );
    this.registerParameter(
      'bias',
      opts.bias === false ? null : new Parameter(rand([outChannels], { dtype, low: -bound, high: bound })),
    );
  }

  get weight(): Parameter {
    return this.getParameter('weight')!;
  }
  get bias(): Parameter | null {
    return this.getParameter('bias');
  }

  forward(input: Tensor): Tensor {
    return conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    const t = (p: [number, number]) => `(${p[0]}, ${p[1]})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${t(this.padding)}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
