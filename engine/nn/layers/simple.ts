/**
 * Parameter-free layers: ReLU, Flatten, and the Sequential container (children named "0", "1", …,
 * run in order; nests).
 */
import { Module } from '../module.js';
import { relu } from '../../tensor/ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { RuntimeError } from '../../errors.js';
import { flattenShape } from '../shapeRules.js';
import { flattenRepr } from '../layerRepr.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/** Flattens dims startDim..endDim into one (default: everything after the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.reshape(flattenShape(input.shape, this.startDim, this.endDim));
  }

  override extraRepr(): string {
    return flattenRepr(this.startDim, this.endDim);
  }
}

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.addModule(String(i), m));
  }

  /** Appends a module named by its position. */
  append(m: Module): this {
    this.addModule(String(this._modules.size), m);
    return this;
  }

  get length(): number {
    return this._modules.size;
  }

  at(i: number): Module {
    const m = this._modules.get(String(i < 0 ? i + this._modules.size : i));
    if (!m) throw new RuntimeError(`index ${i} is out of range`);
    return m;
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.children()) x = m.call(x);
    return x;
  }
}
