/**
 * Workspace 9: a real network (an .onnx from torch.onnx.export) with optional checkpoint weights: its
 * layer tree with output shapes and parameter counts, a batch per graph input (.npy or generated), train/eval
 * passes, the Layer inspector on any BatchNorm, train vs eval on the same batch (first layer where
 * they part), recalibration and SGD training (./ModelsTraining.tsx) with progress and cancel, and
 * export of the state dict.
 */
import { useState } from 'react';
import type { ModelValueInfo } from '../../../app/shared/contract';
import { MODEL_DOMAINS } from '../../../app/shared/numeric';
import { Empty, ErrorBox, fmtNum, NumberField, Progress, shapeText } from '../components/common';
import { useApp } from '../store/hooks';
import { InspectionPanels } from './Inspector';
import { PathRow } from './ModelsPathRow';
import { ModelsTraining } from './ModelsTraining';
import { CompareTable } from './Stepping';

/**
 * One graph input's batch: its name, dtype and declared shape, what feeds it now, and an .npy or a
 * seeded standard-normal batch. With several inputs each row's test ids carry the input's name.
 */
function InputFeed({ info, several }: { info: ModelValueInfo; several: boolean }) {
  const fed = useApp((s) => s.model?.input.find((i) => i.name === info.name));
  const setInput = useApp((s) => s.setModelInput);
  const [batch, setBatch] = useState(fed?.shape[0] ?? 2);
  const [seed, setSeed] = useState(0);
  const name = several ? info.name : undefined;
  const id = (what: string) => (several ? `model-${what}-${info.name}` : `model-${what}`);
  return (
    <div data-testid={several ? `model-input-row-${info.name}` : undefined}>
      <p className="note" data-testid={id('input')}>
        <strong>{info.name}</strong> ({info.dtype} [{info.shape.join(', ')}]):{' '}
        {fed ? `${shapeText(fed.shape)} from ${fed.source}` : 'none'}
      </p>
      <PathRow
        kind="input"
        input={name}
        label={several ? `${info.name} .npy` : 'Input .npy'}
        action="Use"
        onPath={(p) => setInput(p, batch, seed, name)}
      />
      <div className="row">
        <NumberField
          label="batch"
          value={batch}
          domain={MODEL_DOMAINS.batch}
          onChange={(v) => setBatch(v ?? 1)}
          testId={id('batch')}
        />
        <NumberField
          label="seed"
          value={seed}
          domain={MODEL_DOMAINS.seed}
          onChange={(v) => setSeed(v ?? 0)}
          testId={id('seed')}
        />
        <button onClick={() => void setInput(null, batch, seed, name)} data-testid={id('generate')}>
          Generate (standard normal)
        </button>
      </div>
    </div>
  );
}

function InputRow() {
  const inputs = useApp((s) => s.model!.inputs);
  return (
    <div className="panel">
      <h3>{inputs.length > 1 ? `Input batches (${inputs.length} inputs, one batch size)` : 'Input batch'}</h3>
      {inputs.map((info) => (
        <InputFeed key={info.name} info={info} several={inputs.length > 1} />
      ))}
    </div>
  );
}

function LayerTree() {
  const model = useApp((s) => s.model)!;
  const inspect = useApp((s) => s.inspectModelLayer);
  // A BatchNorm's mode and counter, as the last pass, training or recalibration left them.
  const bn = new Map(model.batchNorm.map((b) => [b.name, b]));
  return (
    <table className="grid" data-testid="model-layers">
      <caption>
        {model.nodes} nodes, {model.parameters.toLocaleString()} parameters, {model.batchNorm.length} BatchNorm layers
      </caption>
      <thead>
        <tr>
          <th>layer</th>
          <th>ops</th>
          <th>output shape</th>
          <th>parameters</th>
          <th>BatchNorm mode</th>
          <th>num_batches_tracked</th>
        </tr>
      </thead>
      <tbody>
        {model.layers.map((l, i) => (
          <tr key={`${l.name}#${i}`} data-testid={l.batchNorm ? 'model-bn-row' : undefined}>
            <td>
              {l.batchNorm ? (
                <button className="link" onClick={() => void inspect(l.name)} data-testid={`inspect-${l.name}`}>
                  {l.name}
                </button>
              ) : (
                l.name
              )}
            </td>
            <td>{l.ops.join(' → ')}</td>
            <td>{shapeText(l.outputShape)}</td>
            <td>{l.parameters ? l.parameters.toLocaleString() : ''}</td>
            <td>{l.batchNorm ? (bn.get(l.name)?.training ? 'train' : 'eval') : ''}</td>
            <td data-testid={l.batchNorm ? `model-bn-count-${l.name}` : undefined}>
              {l.batchNorm ? (bn.get(l.name)?.numBatchesTracked ?? 'None') : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Steps() {
  const step = useApp((s) => s.stepModel);
  const compare = useApp((s) => s.compareModel);
  const result = useApp((s) => s.modelStep);
  const cmp = useApp((s) => s.modelCompare);
  return (
    <div className="panel">
      <div className="row">
        <button onClick={() => void step('train')} data-testid="model-step-train">
          Forward in train mode
        </button>
        <button onClick={() => void step('eval')} data-testid="model-step-eval">
          Forward in eval mode
        </button>
        <button onClick={() => void compare()} data-testid="model-compare">
          Same batch: train vs eval
        </button>
      </div>
      {result && (
        <p className="note" data-testid="model-step-result">
          step {result.step} ({result.mode}, dropout off, {fmtNum(result.elapsedMs, 3)} ms):{' '}
          {result.outputs
            .map((o) => `${o.name} ${shapeText(o.shape)} mean ${fmtNum(o.mean)} std ${fmtNum(o.std)}`)
            .join('; ')}
        </p>
      )}
      {cmp && <CompareTable compare={cmp} />}
    </div>
  );
}

function Recalibrate() {
  const job = useApp((s) => s.modelJob);
  const training = useApp((s) => s.modelTrainJob !== null);
  const recal = useApp((s) => s.modelRecal);
  const run = useApp((s) => s.recalibrateModel);
  const cancel = useApp((s) => s.cancelJob);
  const exportModel = useApp((s) => s.exportModel);
  const exported = useApp((s) => s.modelExported);
  const browser = useApp((s) => s.info?.runtime === 'browser');
  const chooseFile = useApp((s) => s.chooseFile);
  const [batchSize, setBatchSize] = useState(2);
  const [out, setOut] = useState('');
  return (
    <div className="panel">
      <h3>Recalibrate BatchNorm and export</h3>
      <div className="row">
        <NumberField
          label="batch size"
          value={batchSize}
          domain={MODEL_DOMAINS.batchSize}
          onChange={(v) => setBatchSize(v ?? 1)}
          testId="model-recal-batch"
        />
        <button disabled={job !== null || training} onClick={() => void run(batchSize)} data-testid="model-recalibrate">
          Recalibrate
        </button>
        {job && (
          <button onClick={() => void cancel(job)} data-testid="model-cancel">
            Cancel
          </button>
        )}
      </div>
      <Progress jobId={job} />
      {recal && (
        <p className="note" data-testid="model-recal-result">
          {recal.cancelled
            ? 'recalibration cancelled: the running statistics are as they were'
            : `recalibrated ${recal.layers.length} BatchNorm layers over ${recal.samples} samples in ${recal.batches} batches of ${recal.batchSize}`}
        </p>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (out.trim()) void exportModel(out.trim());
        }}
      >
        <label>
          Export state dict to{' '}
          <input
            type="text"
            size={48}
            value={out}
            placeholder="/path/out.pt"
            onChange={(e) => setOut(e.target.value)}
            data-testid="model-export-path"
          />
        </label>
        <button type="submit" disabled={!out.trim()} data-testid="model-export">
          Export
        </button>
        {!browser && (
          <button
            type="button"
            onClick={() =>
              void chooseFile('save').then((p) => {
                if (!p) return;
                setOut(p);
                return exportModel(p);
              })
            }
            data-testid="model-export-choose"
          >
            Save as…
          </button>
        )}
      </form>
      {exported && (
        <p className="note" data-testid="model-exported">
          wrote {exported}
        </p>
      )}
    </div>
  );
}

export function Models() {
  const model = useApp((s) => s.model);
  const error = useApp((s) => s.modelError);
  const upload = useApp((s) => s.modelUpload);
  const inspection = useApp((s) => s.modelInspection);
  const open = useApp((s) => s.openModel);
  const weights = useApp((s) => s.applyModelWeights);
  const recent = useApp((s) => s.modelRecent);
  return (
    <section className="workspace" data-testid="ws-models">
      <header className="ws-header">
        <h2>Models</h2>
        {model && (
          <span className="note" data-testid="model-path">
            {model.path} (opset {model.opset})
          </span>
        )}
      </header>
      <PathRow kind="model" label="ONNX model" action="Open" onPath={open} />
      {recent.length > 0 && (
        <label className="row">
          Recent{' '}
          <select value="" onChange={(e) => e.target.value && void open(e.target.value)} data-testid="model-recent">
            <option value="">…</option>
            {recent.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      )}
      {upload && (
        <p className="note" data-testid="model-upload">
          uploading {upload.name}: {upload.done} of {upload.total} bytes
        </p>
      )}
      <ErrorBox error={error} testId="model-error" />
      {!model ? (
        <Empty>
          Open an .onnx exported with torch.onnx.export(model.train(), x, "m.onnx",
          training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False).
        </Empty>
      ) : (
        <>
          <PathRow kind="weights" label="Checkpoint weights" action="Apply" onPath={weights} />
          {model.weights && (
            <p className="note" data-testid="model-weights">
              {model.weights.applied} tensors from {model.weights.file}
              {model.weights.strippedPrefix ? ` (prefix ${model.weights.strippedPrefix} stripped)` : ''}; missing{' '}
              {model.weights.missingKeys.length}, unexpected {model.weights.unexpectedKeys.length}, shape mismatches{' '}
              {model.weights.shapeMismatch.length}
            </p>
          )}
          {model.notes.map((n) => (
            <p key={n} className="note warn">
              {n}
            </p>
          ))}
          <InputRow />
          <Steps />
          <ModelsTraining />
          <Recalibrate />
          <LayerTree />
          {inspection && (
            <div data-testid="model-inspector">
              <h3>Layer inspector: {inspection.path}</h3>
              <InspectionPanels inspection={inspection} />
            </div>
          )}
        </>
      )}
    </section>
  );
}
