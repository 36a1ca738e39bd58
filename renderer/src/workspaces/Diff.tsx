/** Workspace 6: two checkpoints aligned; added/removed/changed; per-channel overlays; frozen layers. */
import { useState } from 'react';
import { Lines } from '../charts/charts';
import { Empty, ErrorBox, FeatureGate, fmtNum } from '../components/common';
import { useApp } from '../store/hooks';

export function Diff() {
  const diff = useApp((s) => s.diff);
  const error = useApp((s) => s.diffError);
  const run = useApp((s) => s.runDiff);
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [status, setStatus] = useState<'all' | 'added' | 'removed' | 'changed'>('all');
  const rows = (diff?.rows ?? []).filter((r) => r.status !== 'unchanged' && (status === 'all' || r.status === status));
  return (
    <section className="workspace" data-testid="ws-diff">
      <header className="ws-header">
        <h2>Diff</h2>
      </header>
      <FeatureGate feature="diff">
        <div className="toolbar">
          <input className="wide" placeholder="checkpoint A" value={a} onChange={(e) => setA(e.target.value)} />
          <input className="wide" placeholder="checkpoint B" value={b} onChange={(e) => setB(e.target.value)} />
          <button className="primary" disabled={!a || !b} onClick={() => void run(a, b, null)}>
            Compare
          </button>
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option>all</option>
            <option>added</option>
            <option>removed</option>
            <option>changed</option>
          </select>
        </div>
        <ErrorBox error={error} testId="diff-error" />
        {!diff ? (
          <Empty>Choose two checkpoints to compare.</Empty>
        ) : (
          <>
            {diff.frozen.length > 0 && (
              <p className="warn">Frozen BatchNorm layers (running stats unchanged): {diff.frozen.join(', ')}</p>
            )}
            <table className="grid">
              <tbody>
                {rows.map((r) => (
                  <tr key={r.key} className={r.status}>
                    <td>{r.status}</td>
                    <td>
                      <code>{r.key}</code>
                    </td>
                    <td>{fmtNum(r.maxAbsDiff)}</td>
                    <td>{fmtNum(r.relDiff)}</td>
                    <td>{fmtNum(r.cosine)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="charts">
              {diff.overlays.slice(0, 6).map((o) => (
                <Lines
                  key={o.key}
                  title={o.key}
                  series={[
                    { label: 'A', values: o.a, cls: 'a' },
                    { label: 'B', values: o.b, cls: 'b' },
                  ]}
                />
              ))}
            </div>
          </>
        )}
      </FeatureGate>
    </section>
  );
}
