/** Workspace 6: two checkpoints aligned; added/removed/changed; per-channel overlays; frozen layers. */
import { useState } from 'react';
import { Lines } from '../charts/charts';
import { ChannelTable } from '../components/ChannelTable';
import { Empty, ErrorBox, FeatureGate, fmtNum, Progress, shapeText } from '../components/common';
import { useApp } from '../store/hooks';

type Sort = 'key' | 'maxAbsDiff' | 'relDiff' | 'cosine';

export function Diff() {
  const diff = useApp((s) => s.diff);
  const error = useApp((s) => s.diffError);
  const job = useApp((s) => s.diffJob);
  const run = useApp((s) => s.runDiff);
  const chooseFile = useApp((s) => s.chooseFile);
  const desktop = useApp((s) => s.info?.runtime === 'electron');
  const choose = (set: (p: string) => void) => () => void chooseFile('open').then((p) => p && set(p));
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [status, setStatus] = useState<'all' | 'added' | 'removed' | 'changed' | 'unchanged'>('all');
  const [sort, setSort] = useState<Sort>('maxAbsDiff');
  const [filter, setFilter] = useState('');
  const [overlayKey, setOverlayKey] = useState('');
  const rows = (diff?.rows ?? [])
    .filter((r) => (status === 'all' ? r.status !== 'unchanged' : r.status === status) && r.key.includes(filter))
    .sort((x, y) => (sort === 'key' ? x.key.localeCompare(y.key) : (y[sort] ?? -Infinity) - (x[sort] ?? -Infinity)));
  const counts = (k: string) => diff?.rows.filter((r) => r.status === k).length ?? 0;
  return (
    <section className="workspace" data-testid="ws-diff">
      <header className="ws-header">
        <h2>Diff</h2>
      </header>
      <FeatureGate feature="diff">
        <div className="toolbar">
          <input
            className="wide"
            placeholder="checkpoint A (path on the host)"
            value={a}
            onChange={(e) => setA(e.target.value)}
            data-testid="diff-a"
          />
          <input
            className="wide"
            placeholder="checkpoint B"
            value={b}
            onChange={(e) => setB(e.target.value)}
            data-testid="diff-b"
          />
          {desktop && <button onClick={choose(setA)}>Choose A…</button>}
          {desktop && <button onClick={choose(setB)}>Choose B…</button>}
          <button
            className="primary"
            disabled={!a || !b || !!job}
            onClick={() => void run(a, b, null)}
            data-testid="diff-run"
          >
            Compare
          </button>
        </div>
        <Progress jobId={job} />
        <ErrorBox error={error} testId="diff-error" />
        {!diff ? (
          <Empty>
            Choose two checkpoints to compare; keys are aligned across wrapper prefixes (module., _orig_mod., …).
          </Empty>
        ) : (
          <>
            <p className="note" data-testid="diff-summary">
              {counts('added')} added · {counts('removed')} removed · {counts('changed')} changed ·{' '}
              {counts('unchanged')} unchanged · prefixes stripped: A '{diff.prefixes.a}', B '{diff.prefixes.b}'
            </p>
            {counts('changed') + counts('added') + counts('removed') === 0 ? (
              <p className="note" data-testid="diff-identical">
                A and B hold the same tensors: no layer can be called frozen from this pair.
              </p>
            ) : (
              diff.frozen.length > 0 && (
                <p className="warn" data-testid="diff-frozen">
                  Frozen BatchNorm layers (running stats identical in A and B): {diff.frozen.join(', ')}
                </p>
              )
            )}
            <div className="toolbar">
              <select
                value={status}
                onChange={(e) => setStatus(e.target.value as typeof status)}
                data-testid="diff-status"
              >
                <option value="all">added/removed/changed</option>
                <option>added</option>
                <option>removed</option>
                <option>changed</option>
                <option>unchanged</option>
              </select>
              <select value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
                <option value="maxAbsDiff">sort by max |Δ|</option>
                <option value="relDiff">sort by relative Δ</option>
                <option value="cosine">sort by cosine</option>
                <option value="key">sort by key</option>
              </select>
              <input placeholder="filter keys" value={filter} onChange={(e) => setFilter(e.target.value)} />
            </div>
            <table className="grid" data-testid="diff-table">
              <thead>
                <tr>
                  <th>status</th>
                  <th>key</th>
                  <th>shape A → B</th>
                  <th>max |Δ|</th>
                  <th>relative Δ</th>
                  <th>cosine</th>
                </tr>
              </thead>
              <tbody>
                {rows.slice(0, 500).map((r) => (
                  <tr key={`${r.status}-${r.key}`} className={r.status}>
                    <td>{r.status}</td>
                    <td>
                      <code>{r.key}</code>
                    </td>
                    <td>{r.shapeA ? `${shapeText(r.shapeA)} → ${shapeText(r.shapeB)}` : '—'}</td>
                    <td>{fmtNum(r.maxAbsDiff)}</td>
                    <td>{fmtNum(r.relDiff)}</td>
                    <td>{fmtNum(r.cosine, 6)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="charts" data-testid="diff-overlays">
              {diff.overlays.slice(0, 9).map((o) => (
                <Lines
                  key={o.key}
                  title={`${o.key} per channel`}
                  series={[
                    { label: 'A', values: o.a, cls: 'a' },
                    { label: 'B', values: o.b, cls: 'b' },
                  ]}
                />
              ))}
            </div>
            {diff.overlays.length > 0 && (
              <>
                <div className="toolbar">
                  <h3>Per-channel values</h3>
                  <select
                    value={overlayKey || diff.overlays[0]!.key}
                    onChange={(e) => setOverlayKey(e.target.value)}
                    data-testid="diff-channel-key"
                  >
                    {diff.overlays.map((o) => (
                      <option key={o.key}>{o.key}</option>
                    ))}
                  </select>
                </div>
                {(() => {
                  const o = diff.overlays.find((x) => x.key === overlayKey) ?? diff.overlays[0]!;
                  const delta = Float64Array.from(o.b, (v, i) => v - (o.a[i] ?? NaN));
                  return (
                    <ChannelTable
                      testId="diff-channels"
                      series={[
                        { label: 'A', values: o.a },
                        { label: 'B', values: o.b },
                        { label: 'B − A', values: delta },
                      ]}
                    />
                  );
                })()}
              </>
            )}
          </>
        )}
      </FeatureGate>
    </section>
  );
}
