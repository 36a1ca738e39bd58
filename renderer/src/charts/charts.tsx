/**
 * Small SVG charts (no chart library): per-channel bars, line series, histograms, A/B overlays.
 * Colours come from CSS variables so both themes work; every chart has a title for screen readers.
 */
import { memo } from 'react';

const W = 360;
const H = 120;
const PAD = 4;

function extent(values: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of values) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  return [lo, hi];
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3);

function Frame({
  title,
  lo,
  hi,
  children,
  testId,
}: {
  title: string;
  lo: number;
  hi: number;
  children: React.ReactNode;
  testId?: string;
}) {
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        {title}
        <span className="chart-range">
          {fmt(lo)} … {fmt(hi)}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} preserveAspectRatio="none">
        {children}
      </svg>
    </figure>
  );
}

/** One bar per channel (values around zero draw up or down from the zero line). */
export const ChannelBars = memo(function ChannelBars({
  title,
  values,
  highlight,
  testId,
}: {
  title: string;
  values: ArrayLike<number> | null;
  highlight?: number[];
  testId?: string;
}) {
  if (!values || values.length === 0) return <div className="chart empty">{title}: no values</div>;
  const [lo0, hi0] = extent([values]);
  const lo = Math.min(0, lo0);
  const hi = Math.max(0, hi0);
  const y = (v: number) => PAD + (H - 2 * PAD) * (1 - (v - lo) / (hi - lo));
  const bw = (W - 2 * PAD) / values.length;
  const marked = new Set(highlight ?? []);
  const bars = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const bad = !Number.isFinite(v);
    const top = bad ? PAD : Math.min(y(v), y(0));
    const h = bad ? H - 2 * PAD : Math.max(1, Math.abs(y(v) - y(0)));
    bars.push(
      <rect
        key={i}
        x={PAD + i * bw}
        y={top}
        width={Math.max(1, bw - 1)}
        height={h}
        className={bad ? 'bar bad' : marked.has(i) ? 'bar marked' : 'bar'}
      />,
    );
  }
  return (
    <Frame title={title} lo={lo} hi={hi} testId={testId}>
      <line x1={PAD} x2={W - PAD} y1={y(0)} y2={y(0)} className="axis" />
      {bars}
    </Frame>
  );
});

/** Line series sharing one y range (e.g. running mean vs batch mean per channel, or a timeline). */
export const Lines = memo(function Lines({
  title,
  series,
  testId,
}: {
  title: string;
  series: Array<{ label: string; values: ArrayLike<number>; cls: string }>;
  testId?: string;
}) {
  const usable = series.filter((s) => s.values.length > 0);
  if (usable.length === 0) return <div className="chart empty">{title}: nothing yet</div>;
  const [lo, hi] = extent(usable.map((s) => s.values));
  const n = Math.max(...usable.map((s) => s.values.length));
  const x = (i: number) => PAD + ((W - 2 * PAD) * i) / Math.max(1, n - 1);
  const y = (v: number) => PAD + (H - 2 * PAD) * (1 - (v - lo) / (hi - lo));
  return (
    <Frame title={title} lo={lo} hi={hi} testId={testId}>
      {usable.map((s) => {
        let d = '';
        for (let i = 0; i < s.values.length; i++) {
          const v = s.values[i]!;
          if (!Number.isFinite(v)) continue;
          d += `${d ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        }
        return <path key={s.label} d={d} className={`line ${s.cls}`} />;
      })}
      <g className="legend">
        {usable.map((s, i) => (
          <text key={s.label} x={W - PAD} y={12 + i * 12} textAnchor="end" className={`legend-text ${s.cls}`}>
            {s.label}
          </text>
        ))}
      </g>
    </Frame>
  );
});

export const HistogramChart = memo(function HistogramChart({
  title,
  edges,
  counts,
  testId,
}: {
  title: string;
  edges: ArrayLike<number>;
  counts: ArrayLike<number>;
  testId?: string;
}) {
  if (counts.length === 0) return <div className="chart empty">{title}: no data</div>;
  let max = 1;
  for (let i = 0; i < counts.length; i++) max = Math.max(max, counts[i]!);
  const bw = (W - 2 * PAD) / counts.length;
  const rects = [];
  for (let i = 0; i < counts.length; i++) {
    const h = ((H - 2 * PAD) * counts[i]!) / max;
    rects.push(
      <rect key={i} x={PAD + i * bw} y={H - PAD - h} width={Math.max(1, bw - 1)} height={h} className="bar" />,
    );
  }
  return (
    <Frame title={title} lo={edges[0] ?? 0} hi={edges[edges.length - 1] ?? 1} testId={testId}>
      {rects}
    </Frame>
  );
});

/** A tiny inline sparkline for tables. */
export function Sparkline({ values }: { values: ArrayLike<number> }) {
  if (values.length < 2) return null;
  const [lo, hi] = extent([values]);
  let d = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    d += `${d ? 'L' : 'M'}${((80 * i) / (values.length - 1)).toFixed(1)},${(18 - (16 * (v - lo)) / (hi - lo)).toFixed(1)}`;
  }
  return (
    <svg className="sparkline" viewBox="0 0 80 20" width="80" height="20" aria-hidden="true">
      <path d={d} className="line a" />
    </svg>
  );
}
