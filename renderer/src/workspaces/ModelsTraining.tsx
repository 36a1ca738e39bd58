/**
 * The Models workspace's training panel: SGD on the open network's input batch (the engine's
 * trainSteps, as `normscope model train`), with a loss, a target (.npy or generated), steps, learning
 * rate, momentum, weight decay and batch size. Every number is a NumberField parsed against the
 * contract's domains (the host checks the same ones), so text that does not parse is marked at its
 * field and Train refuses it. While it runs: step i of N, the loss per step, Cancel; afterwards how
 * far each layer's parameters moved.
 */
import { MODEL_DOMAINS } from '../../../app/shared/numeric';
import type { ModelLossName } from '../../../app/shared/contract';
import { ErrorBox, fmtNum, NumberField, Progress } from '../components/common';
import { LossSparkline } from '../components/LossSparkline';
import { useApp } from '../store/hooks';
import { TRAIN_FIELD_PREFIX, type ModelTrainSettings } from '../store/slices/models';
import { PathRow } from './ModelsPathRow';

/** How many of the latest losses the list shows (the sparkline shows them all). */
const LISTED = 8;

function Settings() {
  const t = useApp((s) => s.modelTrainSettings);
  const set = useApp((s) => s.setModelTrainSettings);
  const field = (key: 'steps' | 'lr' | 'momentum' | 'weightDecay', label: string) => (
    <NumberField
      label={label}
      value={t[key]}
      domain={MODEL_DOMAINS[key]}
      onChange={(v) => set({ [key]: v ?? 0 } as Partial<ModelTrainSettings>)}
      testId={`model-train-${key}`}
      errorKey={`${TRAIN_FIELD_PREFIX}${key}`}
    />
  );
  return (
    <div className="row">
      <label className="field">
        <span>loss</span>
        <select
          value={t.loss}
          onChange={(e) => set({ loss: e.target.value as ModelLossName })}
          data-testid="model-train-loss"
        >
          <option value="cross-entropy">cross-entropy (class indices)</option>
          <option value="mse">mse</option>
        </select>
      </label>
      {field('steps', 'steps')}
      {field('lr', 'lr')}
      {field('momentum', 'momentum')}
      {field('weightDecay', 'weight decay')}
      <NumberField
        label="batch size (None: all)"
        value={t.batchSize}
        domain={MODEL_DOMAINS.trainBatchSize}
        onChange={(v) => set({ batchSize: v })}
        testId="model-train-batchSize"
        errorKey={`${TRAIN_FIELD_PREFIX}batchSize`}
      />
    </div>
  );
}

function Target() {
  const target = useApp((s) => s.modelTarget);
  const loss = useApp((s) => s.modelTrainSettings.loss);
  const setTarget = useApp((s) => s.setModelTarget);
  const seed = useApp((s) => s.modelTrainSettings.seed);
  const set = useApp((s) => s.setModelTrainSettings);
  return (
    <>
      <PathRow kind="target" label="Target .npy" action="Use" onPath={async (p) => setTarget(p)} />
      <div className="row">
        <span className="note" data-testid="model-train-target">
          target:{' '}
          {target ?? (loss === 'mse' ? 'generated: zeros of output 0' : 'generated: seeded class indices for output 0')}
        </span>
        {target !== null && (
          <button onClick={() => setTarget(null)} data-testid="model-train-target-generate">
            Generate instead
          </button>
        )}
        {target === null && loss === 'cross-entropy' && (
          <NumberField
            label="target seed"
            value={seed}
            domain={MODEL_DOMAINS.seed}
            onChange={(v) => set({ seed: v ?? 0 })}
            testId="model-train-seed"
            errorKey={`${TRAIN_FIELD_PREFIX}seed`}
          />
        )}
      </div>
    </>
  );
}

function Losses() {
  const live = useApp((s) => s.modelTrainLive);
  if (!live || live.losses.length === 0) return null;
  const n = live.losses.length;
  const first = Math.max(0, n - LISTED);
  return (
    <div className="row" style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
      <LossSparkline losses={live.losses} testId="model-train-sparkline" />
      <div>
        <p className="note" data-testid="model-train-live">
          step {n}/{live.steps}: loss {fmtNum(live.losses[n - 1]!)} (step 1: {fmtNum(live.losses[0]!)})
        </p>
        <ol className="loss-list" start={first + 1} data-testid="model-train-losses">
          {live.losses.slice(first).map((l, i) => (
            <li key={first + i}>{fmtNum(l)}</li>
          ))}
        </ol>
      </div>
    </div>
  );
}

function Result() {
  const r = useApp((s) => s.modelTraining);
  if (!r) return null;
  if (r.cancelled)
    return (
      <p className="note" data-testid="model-train-result">
        training cancelled after {r.losses.length} of {r.steps} steps: the parameters and running statistics are as they
        were
      </p>
    );
  return (
    <>
      <p className="note" data-testid="model-train-result">
        trained {r.steps} steps ({r.loss}, lr {r.lr}, momentum {r.momentum}, weight decay {r.weightDecay}, batches of{' '}
        {r.batchSize}, target {r.target}) in {fmtNum(r.elapsedMs / 1000, 3)} s: loss {fmtNum(r.losses[0]!)} →{' '}
        {fmtNum(r.losses[r.losses.length - 1]!)}
      </p>
      <table className="grid" data-testid="model-train-changes">
        <caption>How far training moved each layer’s parameters</caption>
        <thead>
          <tr>
            <th>layer</th>
            <th>parameters</th>
            <th>max |Δw|</th>
            <th>‖Δw‖ / ‖w‖</th>
          </tr>
        </thead>
        <tbody>
          {r.changes.map((c) => (
            <tr key={c.layer}>
              <td>{c.layer}</td>
              <td>{c.parameters.toLocaleString()}</td>
              <td>{fmtNum(c.maxAbsDelta)}</td>
              <td>{fmtNum(c.relativeChange)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function ModelsTraining() {
  const job = useApp((s) => s.modelTrainJob);
  const busy = useApp((s) => s.modelJob !== null);
  const train = useApp((s) => s.trainModel);
  const cancel = useApp((s) => s.cancelJob);
  const error = useApp((s) => s.modelTrainError);
  return (
    // One section per line (a panel lays its children out in a wrapping row).
    <div className="panel" style={{ display: 'block' }} data-testid="model-train-panel">
      <h3>Train (SGD)</h3>
      <Settings />
      <Target />
      <div className="row">
        <button disabled={job !== null || busy} onClick={() => void train()} data-testid="model-train">
          Train
        </button>
        {job && (
          <button onClick={() => void cancel(job)} data-testid="model-train-cancel">
            Cancel
          </button>
        )}
      </div>
      <Progress jobId={job} />
      <ErrorBox error={error} testId="model-train-error" />
      <Losses />
      <Result />
    </div>
  );
}
