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
import { conv2dRepr } from '../layerRepr.js';

import { pair, type Pair } from '../layerSpec.js';
export type { Pair };

export interface Conv2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  dtype?: DType;
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
    return conv2dRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.bias !== null);
  }
}
