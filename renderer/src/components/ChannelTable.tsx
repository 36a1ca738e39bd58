/**
 * Exact per-channel values next to the charts: one row per channel, one column per series,
 * virtualised (thousands of channels scroll without rendering them all), and copied as CSV.
 */
import { useState } from 'react';
import { exactAt } from '../charts/charts';
import { VirtualTable } from './VirtualTable';

export interface ChannelSeries {
  label: string;
  values: ArrayLike<number> | null;
}

/** The table as CSV: `channel,label…` then one line per channel (empty cells where a series is shorter). */
export function channelCsv(series: ChannelSeries[]): string {
  const n = Math.max(0, ...series.map((s) => s.values?.length ?? 0));
  const quote = (t: string) => (/[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
  const lines = [['channel', ...series.map((s) => quote(s.label))].join(',')];
  for (let i = 0; i < n; i++)
    lines.push(
      [String(i), ...series.map((s) => (s.values && i < s.values.length ? exactAt(s.values, i) : ''))].join(','),
    );
  return `${lines.join('\n')}\n`;
}

export function ChannelTable({ series, testId }: { series: ChannelSeries[]; testId?: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  const shown = series.filter((s) => s.values && s.values.length > 0);
  const n = Math.max(0, ...shown.map((s) => s.values!.length));
  if (n === 0) return null;
  const rows = Array.from({ length: n }, (_, i) => i);
  const columns = [
    { title: 'channel', width: '70px', cell: (i: number) => i },
    ...shown.map((s) => ({
      title: s.label,
      width: '1fr',
      cell: (i: number) => (i < s.values!.length ? exactAt(s.values!, i) : ''),
    })),
  ];
  return (
    <div className="channel-table" data-testid={testId}>
      <div className="toolbar">
        <button
          onClick={() => {
            const csv = channelCsv(shown);
            navigator.clipboard.writeText(csv).then(
              () => setCopied(`copied ${n} rows as CSV`),
              (e: Error) => setCopied(`could not copy: ${e.message}`),
            );
          }}
          data-testid={testId ? `${testId}-copy` : undefined}
        >
          Copy as CSV
        </button>
        {copied && <span className="note">{copied}</span>}
      </div>
      <VirtualTable rows={rows} total={n} columns={columns} rowKey={(i) => String(i)} />
    </div>
  );
}
