/**
 * Central-difference gradient check for float64 leaves (used by engine/nn/gradcheck.test.ts).
 *
 * Perturbs each checked element by ±h (h = 1e-6) and requires
 * |autograd − numeric| <= 1e-5·max(1, |numeric|). Large tensors are sampled (up to 24 elements).
 */
import { noGrad, type Tensor } from '../../index.js';
import type { TestRng } from './random.js';

const H = 1e-6;
const TOL = 1e-5;
const MAX_ELEMENTS = 24;

/**
 * Compares autograd's gradient of `loss()` for each leaf with central differences.
 * Returns mismatch descriptions (empty when all agree).
 */
export function gradcheck(loss: () => Tensor, leaves: Record<string, Tensor>, rng: TestRng): string[] {
  for (const t of Object.values(leaves)) t.grad = null;
  const L = loss();
  L.backward();
  const problems: string[] = [];
  for (const [name, t] of Object.entries(leaves)) {
    if (!t.grad) {
      problems.push(`${name}: no gradient`);
      continue;
    }
    const analytic = t.grad.toArray();
    const n = t.numel();
    const idx = n <= MAX_ELEMENTS ? [...Array(n).keys()] : Array.from({ length: MAX_ELEMENTS }, () => rng.int(0, n - 1));
    // `t.data` is asked for at each write: on a device backend it is the host copy as of that call.
    for (const i of idx) {
      const orig = t.getFlat(i);
      t.data[i] = orig + H;
      const plus = noGrad(() => loss().item());
      t.data[i] = orig - H;
      const minus = noGrad(() => loss().item());
      t.data[i] = orig;
      const numeric = (plus - minus) / (2 * H);
      if (!(Math.abs(analytic[i]! - numeric) <= TOL * Math.max(1, Math.abs(numeric)))) {
        problems.push(`${name}[${i}]: autograd ${analytic[i]} vs finite difference ${numeric}`);
      }
    }
  }
  return problems;
}
