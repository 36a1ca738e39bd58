/** Workspace 5: open a checkpoint file (path on the host), its tree, tensor table and BatchNorm health. */
import { useState } from 'react';
import type { CheckpointNode } from '../../../app/shared/contract';
import { Empty, ErrorBox, FeatureGate, fmtNum, shapeText } from '../components/common';
import { useApp } from '../store/hooks';

function Node({ node }: { node: CheckpointNode }) {
  return (
    <li>
      <code>{node.label}</code> <span className="muted">{node.kind}</span> {node.detail}
      {node.children.length > 0 && (
        <ul className="tree">
          {node.children.slice(0, 200).map((c) => (
            <Node key={c.path} node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function Checkpoints() {
  const ck = useApp((s) => s.checkpoint);
  const rows = useApp((s) => s.checkpointRows);
  const error = useApp((s) => s.checkpointError);
  const open = useApp((s) => s.openCheckpoint);
  const [path, setPath] = useState('');
  return (
    <section className="workspace" data-testid="ws-checkpoints">
      <header className="ws-header">
        <h2>Checkpoint browser</h2>
      </header>
      <FeatureGate feature="checkpoints">
        <div className="toolbar">
          <input
            className="wide"
            placeholder="path to a .pt / .pth / .ckpt / .bin / .safetensors file on the host"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            data-testid="ck-path"
          />
          <button className="primary" onClick={() => void open(path, false)} disabled={!path} data-testid="ck-open">
            Open
          </button>
        </div>
        <ErrorBox error={error} testId="ck-error" />
        {!ck ? (
          <Empty>Open a checkpoint (in Electron: File → Open, or drop a file on the window).</Empty>
        ) : (
          <>
            <p className="note">
              {ck.path} · {ck.format} · {ck.tensorCount} tensors
            </p>
            {ck.refusedGlobals.length > 0 && (
              <div className="error">Refused pickle globals: {ck.refusedGlobals.join(', ')}</div>
            )}
            <div className="two-col">
              <ul className="tree">
                <Node node={ck.tree} />
              </ul>
              <table className="grid">
                <caption>BatchNorm health</caption>
                <tbody>
                  {ck.batchNorm.map((b) => (
                    <tr key={b.prefix}>
                      <td>{b.prefix}</td>
                      <td>{b.numFeatures}</td>
                      <td>v{b.version ?? '?'}</td>
                      <td>{b.health.join('; ') || 'ok'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {rows && (
              <table className="grid">
                <caption>
                  {rows.rows.length} of {rows.total} tensors
                </caption>
                <tbody>
                  {rows.rows.map((r) => (
                    <tr key={r.key}>
                      <td>
                        <code>{r.key}</code>
                      </td>
                      <td>{r.dtype}</td>
                      <td>{shapeText(r.shape)}</td>
                      <td>{fmtNum(r.min)}</td>
                      <td>{fmtNum(r.max)}</td>
                      <td>{fmtNum(r.mean)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </FeatureGate>
    </section>
  );
}
