/** Workspace 5: open a checkpoint file (path on the host), its tree, tensor table and BatchNorm health. */
import { useEffect, useState } from 'react';
import type { CheckpointNode, TensorRow } from '../../../app/shared/contract';
import { Empty, ErrorBox, FeatureGate, fmtNum, Progress, shapeText } from '../components/common';
import { pickFile } from '../components/OpenFile';
import { VirtualTable } from '../components/VirtualTable';
import { useApp } from '../store/hooks';

function Node({ node, depth }: { node: CheckpointNode; depth: number }) {
  const [open, setOpen] = useState(depth < 2 && node.kind !== 'stateDict');
  const expandable = node.children.length > 0;
  return (
    <li>
      <button className="tree-toggle" disabled={!expandable} onClick={() => setOpen(!open)} aria-expanded={open}>
        {expandable ? (open ? '▾' : '▸') : '·'}
      </button>
      <code>{node.label}</code> <span className={`kind ${node.kind}`}>{node.kind}</span>{' '}
      <span className="muted">{node.detail}</span>
      {open && expandable && (
        <ul className="tree">
          {node.children.map((c) => (
            <Node key={c.path} node={c} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

const COLUMNS: Array<{ title: string; width: string; cell: (r: TensorRow) => React.ReactNode }> = [
  { title: 'key', width: '3fr', cell: (r) => <code title={r.key}>{r.key}</code> },
  { title: 'dtype', width: '90px', cell: (r) => r.dtype },
  { title: 'shape', width: '120px', cell: (r) => shapeText(r.shape) },
  { title: 'min', width: '90px', cell: (r) => fmtNum(r.min) },
  { title: 'max', width: '90px', cell: (r) => fmtNum(r.max) },
  { title: 'mean', width: '90px', cell: (r) => fmtNum(r.mean) },
  { title: 'std', width: '90px', cell: (r) => fmtNum(r.std) },
  { title: 'finite', width: '60px', cell: (r) => (r.finite ? 'yes' : <span className="bad">no</span>) },
];

export function Checkpoints() {
  const ck = useApp((s) => s.checkpoint);
  const rows = useApp((s) => s.checkpointRows);
  const error = useApp((s) => s.checkpointError);
  const job = useApp((s) => s.checkpointJob);
  const open = useApp((s) => s.openCheckpoint);
  const loadRows = useApp((s) => s.loadTensorRows);
  const setWorkspace = useApp((s) => s.setWorkspace);
  const buildFrom = useApp((s) => s.buildStackFromCheckpoint);
  const cancelJob = useApp((s) => s.cancelJob);
  const chooseFile = useApp((s) => s.chooseFile);
  const desktop = useApp((s) => s.info?.runtime === 'electron');
  const browser = useApp((s) => s.info?.runtime === 'browser');
  const upload = useApp((s) => s.upload);
  const recent = useApp((s) => s.recentFiles);
  const [path, setPath] = useState('');
  const [filter, setFilter] = useState('');
  // A file opened from elsewhere (File → Open, a drop, Open Recent, the command line) shows its path here.
  const openedPath = ck?.path ?? null;
  useEffect(() => {
    if (openedPath) setPath(openedPath);
  }, [openedPath]);
  const refused = error?.includes('refused global');
  return (
    <section className="workspace" data-testid="ws-checkpoints">
      <header className="ws-header">
        <h2>Checkpoint browser</h2>
      </header>
      <FeatureGate feature="checkpoints">
        <div className="toolbar">
          <input
            className="wide"
            placeholder="path of a .pt / .pth / .ckpt / .bin / .safetensors file on the host (~ is its home folder)"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && path && void open(path, false)}
            data-testid="ck-path"
          />
          {desktop && (
            <button
              onClick={() =>
                void chooseFile('open').then((p) => {
                  if (!p) return;
                  setPath(p);
                  void open(p, false);
                })
              }
            >
              Choose…
            </button>
          )}
          <button
            className="primary"
            onClick={() => void open(path, false)}
            disabled={!path || !!job}
            data-testid="ck-open"
          >
            Open
          </button>
          {browser && (
            <button onClick={pickFile} disabled={!!upload || !!job} data-testid="ck-upload" title="Ctrl+O">
              Upload a file…
            </button>
          )}
        </div>
        {upload && (
          <div
            className="progress"
            role="progressbar"
            aria-valuenow={upload.total ? Math.round((100 * upload.done) / upload.total) : 0}
            aria-valuemin={0}
            aria-valuemax={100}
            data-testid="ck-upload-progress"
          >
            <div
              className="progress-fill"
              style={{ width: `${upload.total ? (100 * upload.done) / upload.total : 0}%` }}
            />
            <span className="progress-label">
              uploading {upload.name} ({upload.done.toLocaleString()} of {upload.total.toLocaleString()} bytes)
            </span>
          </div>
        )}
        {recent.length > 0 && (
          <div className="toolbar recent" data-testid="ck-recent">
            <span className="muted">recent:</span>
            {recent.map((p) => (
              <button key={p} className="link" title={p} onClick={() => void open(p, false)} disabled={!!job}>
                {p.split(/[\\/]/).pop()}
              </button>
            ))}
          </div>
        )}
        <Progress jobId={job} />
        {job && (
          <button onClick={() => void cancelJob(job)} data-testid="ck-cancel">
            Cancel
          </button>
        )}
        <ErrorBox error={error} testId="ck-error" />
        {refused && (
          <div className="toolbar">
            <span className="note">The file names a class outside the safe allow-list. Nothing was run.</span>
            <button onClick={() => void open(path, true)} data-testid="ck-tensors-only">
              Open tensors only (keep refused objects inert)
            </button>
          </div>
        )}
        {!ck ? (
          <Empty>
            {browser
              ? 'Open a checkpoint: type its path on the host (a relative path resolves against the folder the server runs in), upload one (Ctrl+O), or drop a file onto the window.'
              : 'Open a checkpoint: type its path here, or use File → Open (Ctrl+O), Open Recent, a drop onto the window, or the command line.'}
          </Empty>
        ) : (
          <>
            <p className="note" data-testid="ck-summary">
              {ck.path} · {ck.format} · {ck.tensorCount} tensors · {ck.stateDicts.length} state dict(s):{' '}
              {ck.stateDicts.map((s) => `${s.path || '<root>'} (${s.keys} keys)`).join(', ')}
            </p>
            {ck.refusedGlobals.length > 0 && (
              <div className="warn" data-testid="ck-refused">
                Opened tensors only. Refused globals kept inert: {ck.refusedGlobals.join(', ')}
              </div>
            )}
            {ck.warnings.map((w) => (
              <div key={w} className="warn">
                {w}
              </div>
            ))}
            <div className="two-col">
              <ul className="tree root" data-testid="ck-tree">
                <Node node={ck.tree} depth={0} />
              </ul>
              <div>
                <table className="grid" data-testid="ck-health">
                  <caption>BatchNorm health ({ck.batchNorm.length} layers)</caption>
                  <thead>
                    <tr>
                      <th>layer</th>
                      <th>C</th>
                      <th>version</th>
                      <th>num_batches_tracked</th>
                      <th>health</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ck.batchNorm.map((b) => (
                      <tr key={b.prefix} className={b.health.length ? 'warn-row' : ''}>
                        <td>
                          <code>{b.prefix}</code>
                        </td>
                        <td>{b.numFeatures}</td>
                        <td>{b.version ?? 'none'}</td>
                        <td>{b.hasNumBatchesTracked ? b.numBatchesTracked : 'absent'}</td>
                        <td>{b.health.join('; ') || 'ok'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <button
                  onClick={() => void buildFrom()}
                  disabled={ck.batchNorm.length === 0}
                  data-testid="ck-build-stack"
                >
                  Build a stack from these BatchNorm layers
                </button>{' '}
                <button onClick={() => setWorkspace('stateDict')} data-testid="ck-to-load">
                  Load a state dict from this file into the stack…
                </button>
              </div>
            </div>
            <div className="toolbar">
              <input
                placeholder="filter keys"
                value={filter}
                onChange={(e) => {
                  setFilter(e.target.value);
                  void loadRows(e.target.value, 500);
                }}
                data-testid="ck-filter"
              />
            </div>
            {rows && (
              <VirtualTable
                rows={rows.rows}
                total={rows.total}
                columns={COLUMNS}
                rowKey={(r) => r.key}
                onNeedMore={(n) => void loadRows(filter, n)}
                testId="ck-tensors"
              />
            )}
          </>
        )}
      </FeatureGate>
    </section>
  );
}
