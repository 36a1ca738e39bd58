/**
 * A virtualized table body for thousands of rows: fixed row height, only the visible window (plus a
 * margin) is rendered, and `onNeedMore` asks for the next page when the end comes into view.
 */
import { useState } from 'react';

const ROW = 26;
const HEIGHT = 360;

export function VirtualTable<T>({
  rows,
  total,
  columns,
  rowKey,
  onNeedMore,
  testId,
}: {
  rows: T[];
  total: number;
  columns: Array<{ title: string; width: string; cell: (r: T) => React.ReactNode }>;
  rowKey: (r: T) => string;
  onNeedMore?: (upTo: number) => void;
  testId?: string;
}) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - 10);
  const last = Math.min(rows.length, Math.ceil((top + HEIGHT) / ROW) + 10);
  const template = columns.map((c) => c.width).join(' ');
  return (
    <div className="vtable" data-testid={testId}>
      <div className="vrow vhead" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.title}>{c.title}</div>
        ))}
      </div>
      <div
        className="vbody"
        style={{ height: HEIGHT }}
        onScroll={(e) => {
          const t = e.currentTarget.scrollTop;
          setTop(t);
          if (onNeedMore && rows.length < total && (t + HEIGHT) / ROW > rows.length - 50)
            onNeedMore(rows.length + 1000);
        }}
      >
        <div style={{ height: Math.max(rows.length, 1) * ROW, position: 'relative' }}>
          {rows.slice(first, last).map((r, i) => (
            <div
              key={rowKey(r)}
              className="vrow"
              style={{
                gridTemplateColumns: template,
                top: (first + i) * ROW,
                height: ROW,
                position: 'absolute',
                left: 0,
                right: 0,
              }}
            >
              {columns.map((c) => (
                <div key={c.title}>{c.cell(r)}</div>
              ))}
            </div>
          ))}
        </div>
      </div>
      <div className="note">
        {rows.length.toLocaleString()} of {total.toLocaleString()} loaded
      </div>
    </div>
  );
}
