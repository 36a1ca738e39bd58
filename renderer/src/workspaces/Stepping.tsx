/** Workspace 2: generate a batch, step forward / train / run N, snapshot and roll back, train vs eval. */
import { useState } from 'react';
import type { CompareResult, Distribution, InputConfig } from '../../../app/shared/contract';
import { ChannelBars, Lines } from '../charts/charts';
import { Empty, ErrorBox, FeatureGate, fmtNum, NumberField, Progress, shapeText } from '../components/common';
import { STEP_DOMAINS } from '../../../app/shared/numeric';
import { useApp, useAppShallow } from '../store/hooks';
import { fieldErrorsUnder } from '../store/slices/app';

function InputGenerator() {
  const session = useApp((s) => s.session);
  const inputShape = useApp((s) => s.inputShape);
  const setInput = useApp((s) => s.setInput);
  const base: InputConfig = session?.input ?? {
    shape: inputShape,
    distribution: 'normal',
    mean: 0,
    std: 1,
    channelShift: 0,
    seed: 0,
  };
  const [cfg, setCfg] = useState<InputConfig>(base);
  const inputErrors = fieldErrorsUnder(
    useApp((s) => s.fieldErrors),
    'input:',
  );
  return (
    <fieldset className="panel">
      <legend>Input batch {shapeText(cfg.shape)}</legend>
      <label className="field">
        <span>distribution</span>
        <select
          value={cfg.distribution}
          onChange={(e) => setCfg({ ...cfg, distribution: e.target.value as Distribution })}
          data-testid="input-dist"
        >
          <option value="normal">normal</option>
          <option value="uniform">uniform</option>
        </select>
      </label>
      <NumberField
        label="mean"
        value={cfg.mean}
        domain={STEP_DOMAINS.mean}
        onChange={(mean) => setCfg({ ...cfg, mean: mean! })}
        testId="input-mean"
        errorKey="input:mean"
      />
      <NumberField
        label="std"
        value={cfg.std}
        domain={STEP_DOMAINS.std}
        onChange={(std) => setCfg({ ...cfg, std: std! })}
        testId="input-std"
        errorKey="input:std"
      />
      <NumberField
        label="shift per channel"
        value={cfg.channelShift}
        domain={STEP_DOMAINS.channelShift}
        onChange={(channelShift) => setCfg({ ...cfg, channelShift: channelShift! })}
        testId="input-shift"
        errorKey="input:shift"
      />
      <NumberField
        label="seed"
        value={cfg.seed}
        domain={STEP_DOMAINS.seed}
        onChange={(seed) => setCfg({ ...cfg, seed: seed! })}
        testId="input-seed"
        errorKey="input:seed"
      />
      <button
        onClick={() => void setInput({ ...cfg, shape: inputShape })}
        disabled={inputErrors.length > 0}
        title={inputErrors[0]}
        data-testid="apply-input"
      >
        New batch
      </button>
    </fieldset>
  );
}

function LiveCharts() {
  const last = useApp((s) => s.lastStep);
  const losses = useApp((s) => s.losses);
  const norms = (last?.layers ?? []).filter((l) => l.runningMean);
  return (
    <div className="charts" data-testid="live-charts">
      <Lines title="loss per train step" series={[{ label: 'loss', values: losses, cls: 'a' }]} testId="loss-chart" />
      {norms.slice(0, 3).map((l) => (
        <ChannelBars
          key={l.path}
          title={`${l.path} ${l.type} running_mean (n=${l.numBatchesTracked ?? '—'})`}
          values={l.runningMean}
          testId={`rm-chart-${l.path}`}
        />
      ))}
    </div>
  );
}

function LayerTable() {
  const last = useApp((s) => s.lastStep);
  const step = useApp((s) => s.session?.step ?? 0);
  if (!last)
    return (
      <Empty>
        {step === 0
          ? 'No step yet. Press Forward (F) or Train step (S).'
          : `At step ${step} (restored or reset): no forward since. Press Forward (F) to see the layers now.`}
      </Empty>
    );
  return (
    <table className="grid" data-testid="step-table">
      <caption>
        step {last.step} · {last.mode} · {last.kind} {last.loss !== null && `· loss ${fmtNum(last.loss)}`} ·{' '}
        {fmtNum(last.elapsedMs, 1)} ms
      </caption>
      <thead>
        <tr>
          <th>layer</th>
          <th>type</th>
          <th>output shape</th>
          <th>mean</th>
          <th>std</th>
          <th>min</th>
          <th>max</th>
          <th>NaN/inf</th>
        </tr>
      </thead>
      <tbody>
        {last.layers.map((l) => (
          <tr key={l.path} className={l.output.finite ? '' : 'bad'}>
            <td>{l.path}</td>
            <td>{l.type}</td>
            <td>{shapeText(l.output.shape)}</td>
            <td>{fmtNum(l.output.mean)}</td>
            <td>{fmtNum(l.output.std)}</td>
            <td>{fmtNum(l.output.min)}</td>
            <td>{fmtNum(l.output.max)}</td>
            <td>{l.output.nanCount + l.output.infCount}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Compare() {
  const compare = useApp((s) => s.compare);
  const run = useApp((s) => s.runCompare);
  return (
    <div className="panel">
      <button onClick={() => void run()} data-testid="compare">
        Same batch: train vs eval (C)
      </button>
      {compare && <CompareTable compare={compare} />}
    </div>
  );
}

/** Train vs eval per layer on the same batch, the first layer where they part marked (Models reuses it). */
export function CompareTable({ compare }: { compare: CompareResult }) {
  return (
    <table className="grid" data-testid="compare-table">
      <caption>
        {compare.firstDivergent === null
          ? 'train and eval agree at every layer'
          : `first divergence at layer ${compare.firstDivergent}`}
      </caption>
      <thead>
        <tr>
          <th>layer</th>
          <th>type</th>
          <th>train mean</th>
          <th>eval mean</th>
          <th>max |Δ|</th>
        </tr>
      </thead>
      <tbody>
        {compare.rows.map((r) => (
          <tr
            key={r.path}
            className={r.path === compare.firstDivergent ? 'diverge' : ''}
            data-testid={r.path === compare.firstDivergent ? 'first-divergent' : undefined}
          >
            <td>{r.path}</td>
            <td>{r.type}</td>
            <td>{fmtNum(r.train.mean)}</td>
            <td>{fmtNum(r.eval.mean)}</td>
            <td>{fmtNum(r.maxAbsDiff)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Stepping() {
  const session = useApp((s) => s.session);
  const error = useApp((s) => s.steppingError);
  const runJob = useApp((s) => s.runJob);
  const lastRun = useApp((s) => s.lastRun);
  const lr = useApp((s) => s.lr);
  const runSteps = useApp((s) => s.runSteps);
  const a = useAppShallow((s) => ({
    setLr: s.setLr,
    setRunSteps: s.setRunSteps,
    setMode: s.setMode,
    forward: s.forward,
    trainStep: s.trainStep,
    runN: s.runN,
    cancelRun: s.cancelRun,
    reset: s.reset,
    snapshot: s.snapshot,
    rollback: s.rollback,
  }));
  return (
    <section className="workspace" data-testid="ws-stepping">
      <header className="ws-header">
        <h2>Stepping</h2>
        {session?.built && (
          <span className="badge" data-testid="step-count">
            step {session.step} · {session.training ? 'train' : 'eval'} · {session.snapshots} snapshot(s)
          </span>
        )}
      </header>
      <FeatureGate feature="stepping">
        <ErrorBox error={error} testId="stepping-error" />
        {!session?.built ? (
          <Empty>Build a stack in the Stack builder first (Ctrl+B there).</Empty>
        ) : (
          <>
            <div className="toolbar">
              <div className="segmented" role="group" aria-label="mode">
                <button
                  className={session.training ? 'on' : ''}
                  onClick={() => void a.setMode(true)}
                  data-testid="mode-train"
                >
                  train
                </button>
                <button
                  className={!session.training ? 'on' : ''}
                  onClick={() => void a.setMode(false)}
                  data-testid="mode-eval"
                >
                  eval
                </button>
              </div>
              <button onClick={() => void a.forward()} data-testid="forward" title="F">
                Forward
              </button>
              <button onClick={() => void a.trainStep()} data-testid="train-step" title="S">
                Train step
              </button>
              <NumberField
                label="lr"
                value={lr}
                domain={STEP_DOMAINS.lr}
                onChange={(v) => a.setLr(v!)}
                testId="lr"
                errorKey="step:lr"
              />
              <NumberField
                label="N"
                value={runSteps}
                domain={STEP_DOMAINS.steps}
                onChange={(n) => a.setRunSteps(n!)}
                testId="run-steps"
                errorKey="step:steps"
              />
              {runJob ? (
                <button onClick={() => void a.cancelRun()} data-testid="cancel-run" title="Esc">
                  Cancel
                </button>
              ) : (
                <button className="primary" onClick={() => void a.runN()} data-testid="run" title="R">
                  Run N steps
                </button>
              )}
              <button onClick={() => void a.snapshot()} data-testid="snapshot">
                Snapshot
              </button>
              <button onClick={() => void a.rollback()} disabled={session.snapshots === 0} data-testid="rollback">
                Roll back
              </button>
              <button onClick={() => void a.reset('stats')} data-testid="reset-stats">
                Reset stats
              </button>
              <button onClick={() => void a.reset('params')}>Reset params</button>
              <button onClick={() => void a.reset('all')}>Reset all</button>
            </div>
            <Progress jobId={runJob} />
            {lastRun && (
              <div className="note" data-testid="run-result">
                {lastRun.cancelled ? 'cancelled after' : 'ran'} {lastRun.steps} steps ·{' '}
                {fmtNum(lastRun.stepsPerSecond, 1)} steps/s
              </div>
            )}
            <InputGenerator />
            <LiveCharts />
            <LayerTable />
            <Compare />
          </>
        )}
      </FeatureGate>
    </section>
  );
}
