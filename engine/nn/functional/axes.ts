/** Axis arguments of the ONNX ops: negative axes count from the end; out of range or repeated is an error. */
import { IndexError, RuntimeError } from '../../errors.js';

/** One axis in [−rank, rank) as a non-negative index (PyTorch's IndexError text). */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new IndexError(
      `Dimension out of range (expected to be in range of [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}], but got ${axis})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** A list of distinct axes, normalized (PyTorch's text for a repeated one). */
export function normalizeAxes(axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank));
  out.forEach((a, i) => {
    if (out.indexOf(a) !== i) throw new RuntimeError(`dim ${a} appears multiple times in the list of dims`);
  });
  return out;
}
