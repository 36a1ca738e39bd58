/**
 * Small SVG charts (no chart library): per-channel bars, line series, histograms, A/B overlays.
 * Colours come from CSS variables so both themes work; every chart has a title for screen readers.
 */
import { memo, useState } from 'react';

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

/** The shortest decimal text that reads back as the same float32 (what PyTorch prints for a float32). */
function float32Text(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const t = v.toPrecision(p);
    if (Math.fround(Number(t)) === v) return String(Number(t));
  }
  return String(v);
}

/** Item `i` of `values` exactly as stored (float32 arrays as float32, everything else as float64). */
export function exactAt(values: ArrayLike<number>, i: number): string {
  const v = values[i];
  if (v === undefined) return '—';
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return values instanceof Float32Array ? float32Text(v) : String(v);
}
const exact = (v: number | undefined): string => (v === undefined ? '—' : exactAt([v], 0));

/**
 * The frame of every chart, with its hover read-out: `hover` maps a position across the plot (0…1)
 * to the item under the pointer and `describe` says its exact value(s) ("channel 3: 0.0123").
 */
function Frame({
  title,
  lo,
  hi,
  children,
  testId,
  hover,
}: {
  title: string;
  lo: number;
  hi: number;
  children: React.ReactNode;
  testId?: string;
  hover?: { at: (fx: number) => number | null; describe: (i: number) => string };
}) {
  const [tip, setTip] = useState<{ text: string; left: number } | null>(null);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        {title}
        <span className="chart-range">
          {fmt(lo)} … {fmt(hi)}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={title}
        preserveAspectRatio="none"
        onMouseMove={
          hover &&
          ((e) => {
            const box = e.currentTarget.getBoundingClientRect();
            const fx = (((e.clientX - box.left) / box.width) * W - PAD) / (W - 2 * PAD);
            const i = hover.at(Math.min(1, Math.max(0, fx)));
            setTip(i === null ? null : { text: hover.describe(i), left: e.clientX - box.left });
          })
        }
        onMouseLeave={() => setTip(null)}
      >
        {children}
      </svg>
      {tip && (
        <div className="chart-tip" role="tooltip" data-testid="chart-tip" style={{ left: tip.left }}>
          {tip.text}
        </div>
      )}
    </figure>
  );
}

/** The bar (of `n`) under a position across the plot. */
const barAt = (n: number) => (fx: number) => (n ? Math.min(n - 1, Math.floor(fx * n)) : null);
/** The point (of `n`, spread end to end) nearest a position across the plot. */
const pointAt = (n: number) => (fx: number) => (n ? Math.round(fx * Math.max(0, n - 1)) : null);

/** One bar per channel (values around zero draw up or down from the zero line). */
export const ChannelBars = memo(function ChannelBars({
  title,
  values,
  highlight,
  testId,
  itemLabel = 'channel',
}: {
  title: string;
  values: ArrayLike<number> | null;
  highlight?: number[];
  testId?: string;
  /** What one bar is, in the hover read-out. */
  itemLabel?: string;
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
    <Frame
      title={title}
      lo={lo}
      hi={hi}
      testId={testId}
      hover={{ at: barAt(values.length), describe: (i) => `${itemLabel} ${i}: ${exactAt(values, i)}` }}
    >
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
  itemLabel = 'channel',
}: {
  title: string;
  series: Array<{ label: string; values: ArrayLike<number>; cls: string }>;
  testId?: string;
  /** What one point is, in the hover read-out ('channel', 'step'). */
  itemLabel?: string;
}) {
  const usable = series.filter((s) => s.values.length > 0);
  if (usable.length === 0) return <div className="chart empty">{title}: nothing yet</div>;
  const [lo, hi] = extent(usable.map((s) => s.values));
  const n = Math.max(...usable.map((s) => s.values.length));
  const x = (i: number) => PAD + ((W - 2 * PAD) * i) / Math.max(1, n - 1);
  const y = (v: number) => PAD + (H - 2 * PAD) * (1 - (v - lo) / (hi - lo));
  return (
    <Frame
      title={title}
      lo={lo}
      hi={hi}
      testId={testId}
      hover={{
        at: pointAt(n),
        describe: (i) => `${itemLabel} ${i}: ${usable.map((s) => `${s.label} ${exactAt(s.values, i)}`).join(', ')}`,
      }}
    >
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
    <Frame
      title={title}
      lo={edges[0] ?? 0}
      hi={edges[edges.length - 1] ?? 1}
      testId={testId}
      hover={{
        at: barAt(counts.length),
        describe: (i) => `bin [${exactAt(edges, i)}, ${exactAt(edges, i + 1)}): ${exact(counts[i])} values`,
      }}
    >
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
