/** Workspace 1: build, configure, reorder and nest layers, with shape flow checked inline. */
import { useState } from 'react';
import type { LayerCheck, ModuleNode } from '../../../app/shared/contract';
import { LAYER_TYPES, type LayerSpec, type LayerType } from '../../../app/shared/stackSpec';
import { DIM_DOMAIN, LAYER_DOMAINS } from '../../../app/shared/numeric';
import { ErrorBox, NumberField, NumberListField, shapeText } from '../components/common';
import { useApp } from '../store/hooks';
import { fieldErrorsUnder } from '../store/slices/app';
import { flattenSpec, PRESETS } from '../store/specEdit';

type NumKey = keyof typeof LAYER_DOMAINS;
const NUM_FIELDS: Partial<Record<LayerType, Array<[NumKey, string]>>> = {
  Linear: [
    ['inFeatures', 'in'],
    ['outFeatures', 'out'],
  ],
  Conv2d: [
    ['inChannels', 'in ch'],
    ['outChannels', 'out ch'],
    ['kernelSize', 'kernel'],
    ['stride', 'stride'],
    ['padding', 'pad'],
  ],
};
const NORM_FIELDS: Array<[NumKey, string]> = [
  ['numFeatures', 'num_features'],
  ['eps', 'eps'],
  ['momentum', 'momentum'],
];
/** What a field shows when the spec leaves the option out (the engine's default). */
const DEFAULTS: Partial<Record<NumKey, number | null>> = { eps: 1e-5, momentum: 0.1, stride: 1, padding: 0 };

function LayerRow({
  path,
  depth,
  layer,
  check,
}: {
  path: string;
  depth: number;
  layer: LayerSpec;
  check: LayerCheck | undefined;
}) {
  const update = useApp((s) => s.updateLayer);
  const remove = useApp((s) => s.removeLayer);
  const move = useApp((s) => s.moveLayer);
  const add = useApp((s) => s.addLayer);
  const isNorm = layer.type.includes('BatchNorm');
  // Options by name: which ones a layer has depends on its type.
  const opts = layer as unknown as Record<string, number | boolean | null | undefined>;
  const fields = isNorm
    ? NORM_FIELDS.filter(([k]) => !(k === 'numFeatures' && layer.type.startsWith('Lazy')))
    : (NUM_FIELDS[layer.type] ?? []);
  return (
    <li
      className={`layer-row${check?.error ? ' has-error' : ''}`}
      style={{ marginLeft: depth * 20 }}
      data-testid={`layer-${path}`}
    >
      <div className="layer-head">
        <span className="layer-path">{path}</span>
        <strong className="layer-type">{layer.type}</strong>
        {fields.map(([k, label]) => (
          <NumberField
            key={k}
            label={label}
            value={opts[k] === undefined ? DEFAULTS[k] : (opts[k] as number | null)}
            domain={LAYER_DOMAINS[k]}
            onChange={(v) => void update(path, { [k]: v })}
            testId={`field-${path}-${k}`}
            errorKey={`stack:${path}.${k}`}
          />
        ))}
        {isNorm && (
          <>
            <label className="check">
              <input
                type="checkbox"
                checked={(opts.affine as boolean | undefined) ?? true}
                onChange={(e) => void update(path, { affine: e.target.checked })}
              />{' '}
              affine
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={(opts.trackRunningStats as boolean | undefined) ?? true}
                onChange={(e) => void update(path, { trackRunningStats: e.target.checked })}
              />{' '}
              track_running_stats
            </label>
          </>
        )}
        <span className="shape-flow" title="input → output shape">
          {shapeText(check?.inShape)} → {shapeText(check?.outShape)}
        </span>
        <span className="row-buttons">
          {layer.type === 'Sequential' && (
            <button onClick={() => void add('Linear', path)} title="add a layer inside">
              + inside
            </button>
          )}
          <button onClick={() => void move(path, -1)} aria-label={`move ${path} up`}>
            ↑
          </button>
          <button onClick={() => void move(path, 1)} aria-label={`move ${path} down`}>
            ↓
          </button>
          <button onClick={() => void remove(path)} aria-label={`remove ${path}`} data-testid={`remove-${path}`}>
            ✕
          </button>
        </span>
      </div>
      {check?.error && (
        <div className="inline-error" data-testid={`layer-error-${path}`}>
          {check.error}
        </div>
      )}
      {check?.warnings.map((w) => (
        <div className="inline-warning" key={w}>
          {w}
        </div>
      ))}
    </li>
  );
}

function Tree({ node }: { node: ModuleNode }) {
  return (
    <ul className="tree">
      <li>
        <code>
          {node.name ? `(${node.name}) ` : ''}
          {node.type}({node.children.length ? '' : node.extra})
        </code>
        {node.children.map((c) => (
          <Tree key={c.path} node={c} />
        ))}
      </li>
    </ul>
  );
}

export function StackBuilder() {
  const spec = useApp((s) => s.spec);
  const inputShape = useApp((s) => s.inputShape);
  const validation = useApp((s) => s.validation);
  const summary = useApp((s) => s.summary);
  const notes = useApp((s) => s.stackNotes);
  const preview = useApp((s) => s.syncPreview);
  const busy = useApp((s) => s.stackBusy);
  const error = useApp((s) => s.stackError);
  const setInputShape = useApp((s) => s.setInputShape);
  const addLayer = useApp((s) => s.addLayer);
  const build = useApp((s) => s.build);
  const loadPreset = useApp((s) => s.loadPreset);
  const previewSync = useApp((s) => s.previewSync);
  const applySync = useApp((s) => s.applySync);
  const [newType, setNewType] = useState<LayerType>('BatchNorm1d');
  const rows = flattenSpec(spec);
  const checks = new Map((validation?.layers ?? []).map((c) => [c.path, c]));
  // The ✓ means the host validated the spec AND every field's typed text parses.
  const fieldErrors = fieldErrorsUnder(
    useApp((s) => s.fieldErrors),
    'stack:',
  );
  const ok = !!validation?.ok && fieldErrors.length === 0;

  return (
    <section className="workspace" data-testid="ws-stack">
      <header className="ws-header">
        <h2>Stack builder</h2>
        <label className="field">
          <span>preset</span>
          <select data-testid="preset" defaultValue="" onChange={(e) => void loadPreset(e.target.value)}>
            <option value="" disabled>
              choose…
            </option>
            {Object.keys(PRESETS).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <NumberListField
          label="batch shape"
          value={inputShape}
          domain={DIM_DOMAIN}
          maxItems={6}
          onChange={(dims) => void setInputShape(dims)}
          testId="input-shape"
          errorKey="stack:inputShape"
        />
      </header>
      <ErrorBox error={error} testId="stack-error" />
      {validation?.specError && <div className="error">{validation.specError}</div>}
      {rows.length === 0 ? (
        <div className="empty-state">No layers yet. Pick a preset or add a layer below.</div>
      ) : (
        <ol className="layer-list">
          {rows.map((r) => (
            <LayerRow key={r.path} path={r.path} depth={r.depth} layer={r.layer} check={checks.get(r.path)} />
          ))}
        </ol>
      )}
      <div className="toolbar">
        <select value={newType} onChange={(e) => setNewType(e.target.value as LayerType)} data-testid="new-layer-type">
          {LAYER_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <button onClick={() => void addLayer(newType)} data-testid="add-layer">
          Add layer
        </button>
        <span className={`status ${ok ? 'ok' : 'bad'}`} data-testid="validation-status">
          {fieldErrors.length > 0
            ? `✗ fix the marked field (${fieldErrors[0]})`
            : validation
              ? validation.ok
                ? `✓ shapes flow: output ${shapeText(validation.outputShape)}`
                : '✗ fix the marked layer'
              : 'checking…'}
        </span>
        <button
          className="primary"
          disabled={busy || !ok}
          onClick={() => void build()}
          data-testid="build"
          title="Build (Ctrl+B)"
        >
          {busy ? 'Building…' : 'Build stack'}
        </button>
        <button onClick={() => void previewSync()} data-testid="preview-sync">
          Convert to SyncBatchNorm…
        </button>
      </div>
      {preview && (
        <div className="sync-preview" data-testid="sync-preview">
          <h3>convert_sync_batchnorm preview ({preview.converted.length} converted)</h3>
          <div className="two-col">
            <div>
              <h4>before</h4>
              <Tree node={preview.before} />
            </div>
            <div>
              <h4>after</h4>
              <Tree node={preview.after} />
            </div>
          </div>
          <button onClick={() => void applySync()} data-testid="apply-sync">
            Apply conversion
          </button>
        </div>
      )}
      {summary && (
        <div className="summary" data-testid="stack-summary">
          <h3>
            Built: {summary.parameterCount.toLocaleString()} parameters, {summary.normLayers.length} BatchNorm layer(s)
          </h3>
          {notes.length > 0 && (
            <ul className="note" data-testid="stack-notes">
              {notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <pre className="repr">{summary.repr}</pre>
        </div>
      )}
    </section>
  );
}
