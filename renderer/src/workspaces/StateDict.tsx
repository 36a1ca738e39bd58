/** Workspace 4: the built stack's state dict (keys, shapes, dtypes, metadata versions), export and load. */
import { useEffect, useState } from 'react';
import { Empty, ErrorBox, FeatureGate, shapeText } from '../components/common';
import { useApp } from '../store/hooks';

function LoadAndExport() {
  const ck = useApp((s) => s.checkpoint);
  const preview = useApp((s) => s.loadPreview);
  const report = useApp((s) => s.loadReport);
  const error = useApp((s) => s.loadError);
  const exported = useApp((s) => s.exported);
  const previewLoad = useApp((s) => s.previewLoad);
  const load = useApp((s) => s.loadIntoStack);
  const exportSd = useApp((s) => s.exportStateDict);
  const chooseFile = useApp((s) => s.chooseFile);
  const desktop = useApp((s) => s.info?.runtime === 'electron');
  const [sdPath, setSdPath] = useState('');
  const [strict, setStrict] = useState(true);
  const [out, setOut] = useState('');
  const bad = (preview?.rows ?? []).filter((r) => r.status !== 'match');
  return (
    <>
      <h3>Load a checkpoint's state dict into the stack</h3>
      <FeatureGate feature="checkpoints">
        {!ck ? (
          <Empty>
            Open a checkpoint in the Checkpoint browser first; its state dicts can then be previewed and loaded here.
          </Empty>
        ) : (
          <div className="toolbar">
            <span className="note">from {ck.path}</span>
            <select value={sdPath} onChange={(e) => setSdPath(e.target.value)} data-testid="load-sd-path">
              {ck.stateDicts.map((s) => (
                <option key={s.path} value={s.path}>
                  {s.path || '<root>'} ({s.keys} keys)
                </option>
              ))}
            </select>
            <button onClick={() => void previewLoad(sdPath)} data-testid="load-preview">
              Preview alignment and migration
            </button>
            <label className="check">
              <input
                type="checkbox"
                checked={strict}
                onChange={(e) => setStrict(e.target.checked)}
                data-testid="load-strict"
              />{' '}
              strict
            </label>
            <button className="primary" onClick={() => void load(sdPath, strict)} data-testid="load-apply">
              Load
            </button>
          </div>
        )}
        <ErrorBox error={error} testId="load-error" />
        {preview && (
          <div data-testid="load-preview-result">
            {preview.renaming && (
              <div className="warn" data-testid="load-renaming">
                {preview.renaming.description}
                {preview.renaming.leftOut > 0 && ` · ${preview.renaming.leftOut} key(s) of the file left out`}
              </div>
            )}
            {preview.migration.length > 0 && (
              <table className="grid" data-testid="migration-plan">
                <caption>Migration plan (what the stack's BatchNorm modules inject while loading)</caption>
                <tbody>
                  {preview.migration.map((m) => (
                    <tr key={m.prefix}>
                      <td>
                        <code>{m.prefix}</code>
                      </td>
                      <td>
                        version {m.fromVersion ?? 'none'} → {m.toVersion}
                      </td>
                      <td>injects {m.injected.map((i) => `${i.key} = ${i.value}`).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div className={preview.strictError ? 'error' : 'note'} data-testid="strict-message">
              {preview.strictError
                ? `PyTorch's load_state_dict(strict=True) of the file as saved would raise: ${preview.strictError}`
                : "PyTorch's load_state_dict(strict=True) of the file as saved loads cleanly."}
            </div>
            {preview.renaming && (
              <div className={preview.strictErrorRenamed ? 'error' : 'note'} data-testid="strict-renamed-message">
                {preview.strictErrorRenamed
                  ? `Load with strict, after the renaming, would raise: ${preview.strictErrorRenamed}`
                  : 'Load with strict, after the renaming, loads cleanly.'}
              </div>
            )}
            <table className="grid" data-testid="alignment">
              <caption>
                Alignment: {preview.rows.length - bad.length} of {preview.rows.length} keys match
              </caption>
              <tbody>
                {bad.slice(0, 200).map((r) => (
                  <tr key={`${r.status}-${r.key}`}>
                    <td>{r.status}</td>
                    <td>
                      <code>{r.key}</code>
                    </td>
                    <td>model {shapeText(r.shapeModel)}</td>
                    <td>file {shapeText(r.shapeFile)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {report && (
          <div className="note" data-testid="load-report">
            Loaded {report.loaded} keys · coverage {(report.coverage * 100).toFixed(1)}% · missing{' '}
            {report.missingKeys.length} · unexpected {report.unexpectedKeys.length}
          </div>
        )}
        <h3>Export the stack's state dict</h3>
        <div className="toolbar">
          <input
            className="wide"
            placeholder="/path/on/the/host/model.pt or .safetensors"
            value={out}
            onChange={(e) => setOut(e.target.value)}
            data-testid="export-path"
          />
          {desktop && <button onClick={() => void chooseFile('save').then((p) => p && setOut(p))}>Choose…</button>}
          <button
            disabled={!out}
            onClick={() => void exportSd(out, out.endsWith('.safetensors') ? 'safetensors' : 'pt')}
            data-testid="export"
          >
            Export
          </button>
          {exported && (
            <span className="note" data-testid="exported">
              {exported}
            </span>
          )}
        </div>
      </FeatureGate>
    </>
  );
}

export function StateDict() {
  const summary = useApp((s) => s.summary);
  const view = useApp((s) => s.stateDict);
  const error = useApp((s) => s.stateDictError);
  const load = useApp((s) => s.loadStateDictView);
  const step = useApp((s) => s.session?.step ?? 0);
  const modelVersion = useApp((s) => s.modelVersion);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    if (summary) void load();
  }, [summary, step, modelVersion, load]);
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
      {summary && <LoadAndExport />}
    </section>
  );
}
