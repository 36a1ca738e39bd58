/** Workspace 8: which backend runs and why the others cannot; a benchmark run with its table. */
import { useEffect } from 'react';
import { Empty, ErrorBox, fmtBytes, fmtNum, Progress } from '../components/common';
import { useApp } from '../store/hooks';

export function Backends() {
  const view = useApp((s) => s.backends);
  const bench = useApp((s) => s.bench);
  const job = useApp((s) => s.benchJob);
  const error = useApp((s) => s.backendsError);
  const load = useApp((s) => s.loadBackends);
  const choose = useApp((s) => s.chooseBackend);
  const runBench = useApp((s) => s.runBench);
  const cancelJob = useApp((s) => s.cancelJob);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="workspace" data-testid="ws-backends">
      <header className="ws-header">
        <h2>Backends</h2>
        {view && (
          <span className="badge" data-testid="active-backend">
            active: {view.active} (requested {view.requested})
          </span>
        )}
      </header>
      <ErrorBox error={error} testId="backends-error" />
      {!view ? (
        <Empty>Loading…</Empty>
      ) : (
        <table className="grid" data-testid="backends-table">
          <thead>
            <tr>
              <th>backend</th>
              <th>available</th>
              <th>device</th>
              <th>threads</th>
              <th>tensors</th>
              <th>why not</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {view.backends.map((b) => (
              <tr key={b.name} className={b.name === view.active ? 'current' : ''}>
                <td>{b.name}</td>
                <td>{b.available ? 'yes' : 'no'}</td>
                <td>
                  {b.device ?? '—'}
                  {b.memoryBytes !== undefined && ` · ${fmtBytes(b.memoryBytes)}`}
                </td>
                <td>{b.threads ?? '—'}</td>
                <td data-testid={`residency-${b.name}`}>
                  {b.residency ?? (b.available ? 'host memory' : '—')}
                  {b.transfers &&
                    ` · ${fmtBytes(b.transfers.hostToDeviceBytes)} up, ${fmtBytes(b.transfers.deviceToHostBytes)} down so far · ${fmtBytes(b.transfers.deviceBytesInUse)} in use`}
                </td>
                <td>{b.reason ?? ''}</td>
                <td>
                  <button
                    disabled={!b.available || b.name === view.active}
                    onClick={() => void choose(b.name)}
                    data-testid={`use-${b.name}`}
                  >
                    Use
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {view?.memory && (
        <p className="muted" data-testid="host-memory">
          host memory: {fmtBytes(view.memory.bytesInUse)} in use · {fmtBytes(view.memory.bytesCached)} cached for reuse
          · peak {fmtBytes(view.memory.peakBytesInUse)}
        </p>
      )}
      <div className="toolbar">
        <button className="primary" disabled={!!job} onClick={() => void runBench()} data-testid="run-bench">
          {job ? 'Benchmarking…' : 'Run benchmark'}
        </button>
      </div>
      <Progress jobId={job} />
      {job && <button onClick={() => void cancelJob(job)}>Cancel</button>}
      {bench && (
        <table className="grid" data-testid="bench-table">
          <caption>BatchNorm kernels, (N, C, S) = (64, 64, 256) float32; GB/s from the memory-traffic floor</caption>
          <thead>
            <tr>
              <th>backend</th>
              <th>case</th>
              <th>ms / iter</th>
              <th>GB/s</th>
            </tr>
          </thead>
          <tbody>
            {bench.map((r) => (
              <tr key={`${r.backend}-${r.case}`}>
                <td>{r.backend}</td>
                <td>{r.case}</td>
                <td>{fmtNum(r.msPerIter, 3)}</td>
                <td>{fmtNum(r.gbPerS, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
