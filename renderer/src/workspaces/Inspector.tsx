/** Workspace 3: one BatchNorm layer in depth, and the "why" panel (the seed's bn_training logic). */
import { useEffect } from 'react';
import type { LayerInspection, WhyPanel } from '../../../app/shared/contract';
import { ChannelBars, HistogramChart, Lines } from '../charts/charts';
import { ChannelTable } from '../components/ChannelTable';
import { Empty, ErrorBox, FeatureGate, fmtNum } from '../components/common';
import { useApp } from '../store/hooks';

const yes = (b: boolean): string => (b ? 'True' : 'False');

/** `traced`: a forward since the stack was built, loaded, converted or restored (else the panel speaks of the next one). */
function Why({ why, traced }: { why: WhyPanel; traced: boolean }) {
  return (
    <div className="panel why" data-testid="why-panel">
      <h3>Why these numbers</h3>
      <p data-testid="why-summary">
        training={yes(why.training)}, track_running_stats={yes(why.trackRunningStats)}, buffers{' '}
        {why.buffersPresent ? 'present' : 'None'} → <strong>bn_training={yes(why.bnTraining)}</strong>:{' '}
        {traced ? (
          <>
            this batch was normalized with <strong>{why.normalizesWith}</strong>; running stats{' '}
            <strong>{why.updatesRunningStats ? 'were updated' : 'were not updated'}</strong>.
          </>
        ) : (
          <>
            no forward since the stack was built, loaded or restored; the next forward in this mode will normalize with{' '}
            <strong>{why.normalizesWith}</strong> and <strong>{why.updatesRunningStats ? 'will' : 'will not'}</strong>{' '}
            update the running stats.
          </>
        )}
      </p>
      <p>
        momentum={why.momentum === null ? 'None (cumulative average, factor 1/n)' : fmtNum(why.momentum)} · factor used:{' '}
        <span data-testid="factor-used">{why.factorUsed === null ? '— (no update)' : fmtNum(why.factorUsed, 6)}</span> ·
        next factor: {fmtNum(why.nextFactor, 6)} · in Keras/TF terms momentum=
        {why.kerasMomentum === null ? '—' : fmtNum(why.kerasMomentum, 6)} · eps={fmtNum(why.eps)}
      </p>
      <p className={why.epsDominatedChannels.length ? 'warn' : ''}>
        {why.epsDominatedChannels.length
          ? `eps dominates in channel(s) ${why.epsDominatedChannels.slice(0, 20).join(', ')}${why.epsDominatedChannels.length > 20 ? '…' : ''} (running_var within 10× of eps)`
          : 'eps is small against running_var in every channel.'}
      </p>
      <p className={why.firstNonFinite ? 'bad' : ''} data-testid="first-nonfinite">
        {why.firstNonFinite
          ? `NaN/inf first appeared at layer ${why.firstNonFinite}`
          : 'No NaN or inf in the last forward.'}
      </p>
      <table className="grid truth" data-testid="truth-table">
        <caption>bn_training = training or (running_mean is None and running_var is None)</caption>
        <thead>
          <tr>
            <th>training</th>
            <th>track_running_stats</th>
            <th>buffers</th>
            <th>bn_training</th>
            <th>normalized with</th>
            <th>updates buffers</th>
          </tr>
        </thead>
        <tbody>
          {why.truthTable.map((r) => {
            const current = r.current;
            return (
              <tr
                key={`${r.training}${r.trackRunningStats}${r.buffersPresent}`}
                className={current ? 'current' : ''}
                data-testid={current ? 'truth-current' : undefined}
              >
                <td>{yes(r.training)}</td>
                <td>{yes(r.trackRunningStats)}</td>
                <td>{r.buffersPresent ? 'present' : 'None'}</td>
                <td>{yes(r.bnTraining)}</td>
                <td>{r.normalizesWith}</td>
                <td>{r.updatesRunningStats ? 'yes' : 'no'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** One BatchNorm layer's inspection: charts, per-channel table, why panel (the Models workspace shows it too). */
export function InspectionPanels({ inspection }: { inspection: LayerInspection }) {
  return (
    <>
      <p className="note" data-testid="inspect-head">
        {inspection.path}: {inspection.type}({inspection.numFeatures}) · num_batches_tracked ={' '}
        {inspection.numBatchesTracked ?? 'None'} · grad norms: weight {fmtNum(inspection.gradNorms.weight)}, bias{' '}
        {fmtNum(inspection.gradNorms.bias)}
      </p>
      <div className="charts">
        <ChannelBars title="weight" values={inspection.weight} testId="weight-chart" />
        <ChannelBars title="bias" values={inspection.bias} />
        <Lines
          title="mean per channel: batch vs running"
          series={[
            { label: 'batch mean', values: inspection.batchMean ?? [], cls: 'a' },
            { label: 'running_mean', values: inspection.runningMean ?? [], cls: 'b' },
          ]}
          testId="mean-chart"
        />
        <Lines
          title="variance per channel: batch (biased, unbiased) vs running"
          series={[
            { label: 'biased', values: inspection.batchVarBiased ?? [], cls: 'a' },
            { label: 'unbiased', values: inspection.batchVarUnbiased ?? [], cls: 'c' },
            { label: 'running_var', values: inspection.runningVar ?? [], cls: 'b' },
          ]}
        />
        {inspection.outputHistogram ? (
          <HistogramChart
            title="output histogram"
            edges={inspection.outputHistogram.edges}
            counts={inspection.outputHistogram.counts}
            testId="histogram"
          />
        ) : (
          <div className="chart empty">output histogram: step once</div>
        )}
        <Lines
          title="timeline: mean of running_mean / running_var over steps"
          series={[
            { label: 'running_mean', values: inspection.timeline.meanOfRunningMean, cls: 'b' },
            { label: 'running_var', values: inspection.timeline.meanOfRunningVar, cls: 'c' },
          ]}
          testId="timeline"
          itemLabel="recorded step"
        />
      </div>
      <h3>Per-channel values</h3>
      <ChannelTable
        testId="inspect-channels"
        series={[
          { label: 'weight', values: inspection.weight },
          { label: 'bias', values: inspection.bias },
          { label: 'batch mean', values: inspection.batchMean },
          { label: 'running_mean', values: inspection.runningMean },
          { label: 'batch var (biased)', values: inspection.batchVarBiased },
          { label: 'batch var (unbiased)', values: inspection.batchVarUnbiased },
          { label: 'running_var', values: inspection.runningVar },
        ]}
      />
      <Why why={inspection.why} traced={inspection.batchMean !== null} />
    </>
  );
}

export function Inspector() {
  const summary = useApp((s) => s.summary);
  const selected = useApp((s) => s.selectedLayer);
  const inspection = useApp((s) => s.inspection);
  const error = useApp((s) => s.inspectorError);
  const select = useApp((s) => s.selectLayer);
  const step = useApp((s) => s.lastStep?.step ?? -1);
  const modelVersion = useApp((s) => s.modelVersion);
  useEffect(() => {
    if (selected && summary) void select(selected);
  }, [selected, summary, step, modelVersion, select]);

  return (
    <section className="workspace" data-testid="ws-inspect">
      <header className="ws-header">
        <h2>Layer inspector</h2>
        {summary && summary.normLayers.length > 0 && (
          <select value={selected ?? ''} onChange={(e) => void select(e.target.value)} data-testid="layer-select">
            {summary.normLayers.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        )}
      </header>
      <FeatureGate feature="inspect">
        <ErrorBox error={error} testId="inspector-error" />
        {!summary ? (
          <Empty>Build a stack first; its BatchNorm layers appear here.</Empty>
        ) : summary.normLayers.length === 0 ? (
          <Empty>This stack has no BatchNorm layer.</Empty>
        ) : !inspection ? (
          <Empty>Loading…</Empty>
        ) : (
          <>
            <InspectionPanels inspection={inspection} />
          </>
        )}
      </FeatureGate>
    </section>
  );
}
