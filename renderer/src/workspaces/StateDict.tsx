/** Workspace 4: the built stack's state dict (keys, shapes, dtypes, metadata versions), export and load. */
import { useEffect, useState } from 'react';
import { Empty, ErrorBox, FeatureGate, shapeText } from '../components/common';
import { useApp } from '../store/hooks';

export function StateDict() {
  const summary = useApp((s) => s.summary);
  const view = useApp((s) => s.stateDict);
  const error = useApp((s) => s.stateDictError);
  const load = useApp((s) => s.loadStateDictView);
  const step = useApp((s) => s.session?.step ?? 0);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    if (summary) void load();
  }, [summary, step, load]);
  const rows = (view?.entries ?? []).filter((e) => e.key.includes(filter));
  return (
    <section className="workspace" data-testid="ws-stateDict">
      <header className="ws-header">
        <h2>State dict</h2>
        <input
          placeholder="filter keys"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="sd-filter"
        />
      </header>
      <FeatureGate feature="stateDict">
        <ErrorBox error={error} testId="sd-error" />
        {!summary ? (
          <Empty>Build a stack to see its state dict.</Empty>
        ) : !view ? (
          <Empty>Loading…</Empty>
        ) : (
          <div className="two-col">
            <table className="grid" data-testid="sd-table">
              <caption>{view.entries.length} keys</caption>
              <thead>
                <tr>
                  <th>key</th>
                  <th>kind</th>
                  <th>shape</th>
                  <th>dtype</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.key}>
                    <td>
                      <code>{e.key}</code>
                    </td>
                    <td>{e.kind}</td>
                    <td>{shapeText(e.shape)}</td>
                    <td>{e.dtype}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table className="grid" data-testid="sd-metadata">
              <caption>_metadata (per-module versions)</caption>
              <thead>
                <tr>
                  <th>prefix</th>
                  <th>version</th>
                </tr>
              </thead>
              <tbody>
                {view.metadata.map((m) => (
                  <tr key={m.prefix}>
                    <td>
                      <code>{m.prefix === '' ? "'' (root)" : m.prefix}</code>
                    </td>
                    <td>{m.version ?? 'None'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </FeatureGate>
      <h3>Export and load</h3>
      <FeatureGate feature="checkpoints">
        <Empty>
          Export to .pt / .safetensors and loading a checkpoint's state dict use the Checkpoint browser's file.
        </Empty>
      </FeatureGate>
    </section>
  );
}
