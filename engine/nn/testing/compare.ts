/**
 * Comparison helpers for parity tests. They collect mismatches as readable strings rather than
 * throwing at the first one, so one `expect(problems).toEqual([])` shows every difference of a case.
 *
 * Tolerance (the contract): value `a` (engine) matches `b` (PyTorch) when
 *   |a − b| <= tol · max(1, |b|),   tol = 1e-6 for float64, 1e-5 for float32,
 * i.e. relative for |b| > 1 and absolute below, so values that should be ~0 (a normalized channel
 * mean, a gradient that cancels) are not held to a relative bound they cannot meet in floating point.
 * dtype and shape must match exactly; integer tensors must match exactly.
 */
import type { Tensor } from '../../index.js';
import type { EncError, EncTensor } from './fixtures.js';

export const TOLERANCE: Record<string, number> = { float64: 1e-6, float32: 1e-5 };

export function toleranceFor(dtype: string): number {
  return TOLERANCE[dtype] ?? 0;
}

/**
 * The worst |a−b|/max(1,|b|) seen by compareValues per tolerance since the last reset, so a test
 * can report how much headroom the tolerance had (not only that it held).
 */
export const worstScaledError = new Map<number, number>();

export function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/** Largest |a−b|/max(1,|b|) over two value lists (for reporting how close a case came). */
export function maxScaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (e > worst || Number.isNaN(e)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/**
 * Compares an engine tensor (or null) with an expected encoded tensor (or null), appending
 * mismatches to `problems` prefixed with `what`. Values use the tolerance of the expected dtype.
 */
export function compareTensor(
  problems: string[],
  what: string,
  got: Tensor | null | undefined,
  want: EncTensor | null | undefined,
): void {
  if (want === undefined) return;
  if (want === null || got === null || got === undefined) {
    if ((want === null) !== (got === null || got === undefined)) {
      problems.push(`${what}: expected ${want === null ? 'None' : 'a tensor'}, got ${got ? 'a tensor' : 'None'}`);
    }
    return;
  }
  if (got.dtype !== want.dtype) problems.push(`${what}: dtype ${got.dtype}, expected ${want.dtype}`);
  if (got.shape.join(',') !== want.shape.join(',')) {
    problems.push(`${what}: shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`);
    return;
  }
  compareValues(problems, what, got.toArray(), want.data, toleranceFor(want.dtype));
}

/** Value lists, with the first few offending indices reported. */
export function compareValues(
  problems: string[],
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
): void {
  if (got.length !== want.length) {
    problems.push(`${what}: ${got.length} values, expected ${want.length}`);
    return;
  }
  const worst = maxScaledError(got, want);
  if (worst > (worstScaledError.get(tol) ?? 0)) worstScaledError.set(tol, worst);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, tol)) {
      count++;
      if (bad.length < 4) bad.push(`[${i}] got ${got[i]} expected ${want[i]}`);
    }
  }
  if (count) {
    problems.push(
      `${what}: ${count}/${want.length} values outside tol ${tol} (max scaled err ${worst.toExponential(2)}): ${bad.join('; ')}`,
    );
  }
}

/** Exact comparison of an error (type and message), or of "no error". */
export function compareError(
  problems: string[],
  what: string,
  got: EncError | null,
  want: EncError | null | undefined,
): void {
  if (want === undefined) return;
  if (want === null && got === null) return;
  if (want === null) {
    problems.push(`${what}: unexpected ${got!.type}: ${JSON.stringify(got!.message)}`);
  } else if (got === null) {
    problems.push(`${what}: expected ${want.type}: ${JSON.stringify(want.message)}, got no error`);
  } else if (got.type !== want.type || got.message !== want.message) {
    problems.push(
      `${what}: got ${got.type}: ${JSON.stringify(got.message)}, expected ${want.type}: ${JSON.stringify(want.message)}`,
    );
  }
}

/** Strict equality with a readable message (ints, strings, lists of keys). */
export function compareExact(problems: string[], what: string, got: unknown, want: unknown): void {
  if (want === undefined) return;
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) problems.push(`${what}: got ${g}, expected ${w}`);
}
