/**
 * The Stepping view's input batch: seeded values of the configured shape, normal or uniform with the
 * given mean and std, channel c (dimension 1) shifted by c·channelShift, so a person can make the
 * channels' statistics differ on purpose.
 */
import { Generator, Tensor } from '../../engine/index.js';
import type { InputConfig } from '../shared/contract.js';

/** The most elements the stepping view generates (the shape's product is refused past it). */
export const MAX_INPUT_ELEMENTS = 1 << 24;

export function generateInput(cfg: InputConfig): Tensor {
  const n = cfg.shape.reduce((a, b) => a * b, 1);
  if (n > MAX_INPUT_ELEMENTS)
    throw new RangeError(`input of ${n} elements is too large for the stepping view (limit 16,777,216)`);
  const g = new Generator(cfg.seed);
  const data = new Float32Array(n);
  const C = cfg.shape.length > 1 ? cfg.shape[1]! : 1;
  const S = cfg.shape.slice(2).reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / S) % C;
    // Uniform on [-√3, √3]: mean 0 and std 1 before scaling, like the normal draw.
    const z = cfg.distribution === 'normal' ? g.normal() : (g.uniform() * 2 - 1) * Math.sqrt(3);
    data[i] = cfg.mean + cfg.std * z + c * cfg.channelShift;
  }
  return new Tensor(data, cfg.shape);
}
