/**
 * A loss curve small enough to sit beside a progress bar: up to WIDTH buckets, each the mean of its
 * steps (100,000 steps draw as fast as 100), non-finite losses left out. The exact numbers are in the
 * list beside it; this shows the shape.
 */
import { memo } from 'react';

const WIDTH = 240;
const HEIGHT = 48;

/** Bucket means of `values` (at most `buckets` of them); NaN where a bucket has no finite value. */
export function bucketMeans(values: readonly number[], buckets: number): number[] {
  const n = Math.min(buckets, values.length);
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    const s = Math.floor((b * values.length) / n);
    const e = Math.floor(((b + 1) * values.length) / n);
    let sum = 0;
    let count = 0;
    for (let i = s; i < e; i++) {
      if (Number.isFinite(values[i]!)) {
        sum += values[i]!;
        count++;
      }
    }
    out.push(count ? sum / count : NaN);
  }
  return out;
}

export const LossSparkline = memo(function LossSparkline({
  losses,
  testId,
}: {
  losses: readonly number[];
  testId?: string;
}) {
  const pts = bucketMeans(losses, WIDTH);
  const finite = pts.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi > lo ? hi - lo : 1;
  const x = (i: number) => (pts.length > 1 ? (i * (WIDTH - 2)) / (pts.length - 1) + 1 : WIDTH / 2);
  const y = (v: number) => HEIGHT - 2 - ((v - lo) / span) * (HEIGHT - 4);
  let d = '';
  pts.forEach((v, i) => {
    if (Number.isFinite(v)) d += `${d ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  return (
    <svg
      className="sparkline"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`loss over ${losses.length} steps, from ${finite[0]} to ${finite[finite.length - 1]}`}
      data-testid={testId}
    >
      <path d={d} className="line a" fill="none" />
    </svg>
  );
});
