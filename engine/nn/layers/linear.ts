/**
 * Linear: y = x·Wᵀ + b. Weight (out, in) and bias (out) start uniform in ±1/√in, PyTorch's default
 * (kaiming_uniform with a = √5), drawn from the engine's seeded generator.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { rand } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { linear } from '../functional/linear.js';
import { linearRepr } from '../layerRepr.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    const dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', new Parameter(rand([outFeatures, inFeatures], { dtype, low: -bound, high: bound })));
    this.registerParameter(
      'bias',
      opts.bias === false ? null : new Parameter(rand([outFeatures], { dtype, low: -bound, high: bound })),
    );
  }

  get weight(): Parameter {
    return this.getParameter('weight')!;
  }
  get bias(): Parameter | null {
    return this.getParameter('bias');
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return linearRepr(this.inFeatures, this.outFeatures, this.bias !== null);
  }
}
