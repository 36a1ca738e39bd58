/**
 * Real torchvision networks against PyTorch 1.13 (issue 16's "done when"): ResNet-18, MobileNetV2,
 * MobileNetV3-small, ShuffleNetV2 x0.5, GoogLeNet, RegNetY-400MF, DenseNet-121 and MNASNet 0.5, exported
 * to ONNX in training mode and opened with their checkpoints (three layouts), each at 2×3×64×64:
 *   - eval output within 1e-4·max(1,|ref|);
 *   - output of the second train pass, and every running statistic and counter after 2 train passes,
 *     within 1e-4;
 *   - recalibration (precise BN, batches of 4 and 2): statistics within 1e-4 (the eval output after it
 *     within 1e-3), and the saved state dict loads with torch.load(weights_only=True) +
 *     load_state_dict(strict=True) into the torchvision model with torch's statistics (checked by torch);
 *   - 2 SGD steps with cross-entropy (lr 0.01) in float64 on both sides (model.double()): both losses
 *     within 1e-4, every parameter after each step within 1e-3 and every running statistic within 1e-4;
 *     in float32 (ill-conditioned there for most of these networks) the first loss within 1e-4.
 * Dropout is off on both sides (tools/make_model_fixtures.py says why). The fixtures are generated on
 * first use (tools/modelFixtures.ts); without python3 + torch + torchvision + onnx the suite skips and
 * says so. NORMSCOPE_MODELS=resnet18,googlenet limits it to some models.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStateInTorch, modelFixtures } from '../../tools/modelFixtures.js';
import { tempDir } from '../io/testUtil.js';
import { saveTorch } from '../io/save.js';
import { stateDictToPy } from '../io/tree.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import { recalibrate } from './recalibrate.js';
import { trainSteps } from './train.js';
import { modelStateDict } from './summary.js';
import { input, openFixtureModel, readReference, scaledError, under, worstOver } from './testing/references.js';
import type { GraphModule } from './graphModule.js';

const fx = modelFixtures();
if ('skip' in fx) console.log(`model parity: skipped — ${fx.skip}`);
const only = process.env.NORMSCOPE_MODELS?.split(',').filter(Boolean);
const names = 'skip' in fx ? [] : Object.keys(fx.manifest.models).filter((n) => !only || only.includes(n));

const out = tempDir('normscope-models-');
/** DenseNet-121's SGD steps or GoogLeNet's recalibration take over a minute on a loaded 2-core machine. */
const SLOW = 600_000;
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Every BatchNorm buffer of the model by state-dict key. */
function bnBuffers(model: GraphModule): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const { name, module: bn } of model.batchNormLayers()) {
    if (bn.runningMean) m.set(`${name}.running_mean`, bn.runningMean);
    if (bn.runningVar) m.set(`${name}.running_var`, bn.runningVar);
    if (bn.numBatchesTracked) m.set(`${name}.num_batches_tracked`, bn.numBatchesTracked);
  }
  return m;
}

/** The numbers each check reached, printed once at the end (the report quotes them). */
const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  if (Object.keys(measured).length)
    console.log(`model parity (max |a-b|/max(1,|b|)):\n${JSON.stringify(measured, null, 1)}`);
});
function record(model: string, what: string, v: number): void {
  (measured[model] ??= {})[what] = v;
}

describe.skipIf('skip' in fx)('real models match PyTorch', () => {
  if ('skip' in fx) return;
  const dir = fx.dir;
  for (const name of names) {
    const entry = fx.manifest.models[name]!;
    describe(`${name} (opset ${entry.opset}, ${entry.checkpointLayout} checkpoint)`, () => {
      it('the checkpoint fits: nothing missing, unexpected or misshapen', () => {
        const { report } = openFixtureModel(dir, name);
        expect(report.missingKeys).toEqual([]);
        expect(report.unexpectedKeys).toEqual([]);
        expect(report.shapeMismatch).toEqual([]);
        expect(report.sourcePath).toBe(entry.stateDictPath || null);
        expect(report.strippedPrefix).toBe(entry.checkpointLayout === 'module-prefix' ? 'module.' : null);
      });

      it('eval output with the checkpoint weights within 1e-4', { timeout: SLOW }, () => {
        const { model } = openFixtureModel(dir, name);
        model.setBatchNormMode('eval');
        model.setDropout(false); // as model.eval() in PyTorch: the export left Dropout in training mode
        const y = noGrad(() => model.forwardGraph([input(dir, name, 'x_eval')]))[0]!;
        const err = scaledError(y, readReference(path.join(dir, name, 'ref_eval.pt')).get('output')!);
        record(name, 'eval', err);
        expect(err).toBeLessThan(1e-4);
      });

      it('output, running statistics and counters after 2 train passes within 1e-4', { timeout: SLOW }, () => {
        const { model } = openFixtureModel(dir, name);
        model.setBatchNormMode('train');
        model.setDropout(false);
        let y: Tensor | undefined;
        noGrad(() => {
          for (let i = 0; i < fx.manifest.trainPasses; i++)
            y = model.forwardGraph([input(dir, name, `x_train${i}`)])[0];
        });
        const ref = readReference(path.join(dir, name, 'ref_train.pt'));
        const outErr = scaledError(y!, ref.get('output')!);
        const stats = worstOver(bnBuffers(model), under(ref, 'state'));
        record(name, 'trainOutput', outErr);
        record(name, 'trainStats', stats.err);
        expect(outErr).toBeLessThan(1e-4);
        expect(stats.err, `worst at ${stats.key}`).toBeLessThan(1e-4);
      });

      it(
        'recalibration: torch strict-loads the saved state dict and finds its own statistics',
        { timeout: SLOW },
        () => {
          const { model, checkpointMetadata } = openFixtureModel(dir, name);
          const r = recalibrate(model, input(dir, name, 'x_recal'), { batchSize: fx.manifest.recalBatch });
          expect(r.batches).toBe(2);
          const ref = readReference(path.join(dir, name, 'ref_recal.pt'));
          const stats = worstOver(bnBuffers(model), under(ref, 'state'));
          record(name, 'recalStats', stats.err);
          expect(stats.err, `worst at ${stats.key}`).toBeLessThan(1e-4);
          const y = noGrad(() => model.forwardGraph([input(dir, name, 'x_eval')]))[0]!;
          // The eval output after recalibration goes through every layer with the new statistics: RegNetY's
          // reaches 1.8e-4 (its statistics are within 1e-4, the bound); 1e-3 here.
          const outErr = scaledError(y, ref.get('output')!);
          record(name, 'recalEvalOutput', outErr);
          expect(outErr).toBeLessThan(1e-3);
          const file = path.join(out, `${name}_recal.pt`);
          saveTorch(file, stateDictToPy(modelStateDict(model, checkpointMetadata)), { overwrite: true });
          const torch = checkStateInTorch(fx, name, file, path.join(dir, name, 'ref_recal.pt'));
          expect(torch.missing).toEqual([]);
          expect(torch.unexpected).toEqual([]);
          expect(torch.bnVersions).toEqual([2]);
          record(name, 'recalInTorchStats', torch.maxStateRelErr ?? Infinity);
          record(name, 'recalInTorchOutput', torch.maxOutputRelErr ?? Infinity);
          expect(torch.maxStateRelErr).toBeLessThan(1e-4);
          expect(torch.maxOutputRelErr).toBeLessThan(1e-3);
        },
      );

      // In float64 on both sides (torch: model.double()): in float32 these steps are ill-conditioned for
      // six of the eight networks (tools/make_model_fixtures.py says why), so float32 parameters could not
      // be held to 1e-3 by any implementation; in float64 the rounding left is ~1e-16 × the same gain.
      // MobileNetV3 is the worst (2e-10): its HardSigmoid alpha is a float32 attribute in the .onnx.
      it('2 SGD steps with cross-entropy in float64: every parameter within 1e-3', { timeout: SLOW }, () => {
        const { model } = openFixtureModel(dir, name);
        model.double();
        const x = input(dir, name, 'x_sgd').to('float64');
        const step = () =>
          trainSteps(model, x, input(dir, name, 'y_sgd'), {
            loss: 'cross-entropy',
            lr: fx.manifest.sgd.lr,
            steps: 1,
          }).losses[0]!;
        const ref = readReference(path.join(dir, name, 'ref_sgd.pt'));
        const refLosses = ref.get('losses')!.toArray();
        const loss1 = step();
        const params1 = worstOver(new Map(model.namedParameters()), under(ref, 'params1'));
        const loss2 = step();
        const params = worstOver(new Map(model.namedParameters()), under(ref, 'params'));
        const stats = worstOver(bnBuffers(model), under(ref, 'state'));
        const losses = [loss1, loss2].map((l, i) => Math.abs(l - refLosses[i]!) / Math.max(1, Math.abs(refLosses[i]!)));
        record(name, 'sgd64Loss1', losses[0]!);
        record(name, 'sgd64Loss2', losses[1]!);
        record(name, 'sgd64ParamsStep1', params1.err);
        record(name, 'sgd64Params', params.err);
        record(name, 'sgd64Stats', stats.err);
        for (const [k, p] of model.namedParameters()) expect(p.dtype, k).toBe('float64');
        expect(losses[0]).toBeLessThan(1e-4);
        expect(losses[1]).toBeLessThan(1e-4);
        expect(params1.err, `worst at ${params1.key}`).toBeLessThan(1e-3);
        expect(params.err, `worst at ${params.key}`).toBeLessThan(1e-3);
        expect(stats.err, `worst at ${stats.key}`).toBeLessThan(1e-4);
      });

      // The float32 path users run: the first step's loss is a train-mode forward, well-conditioned.
      it('SGD in float32: the first loss within 1e-4', { timeout: SLOW }, () => {
        const { model } = openFixtureModel(dir, name);
        const [loss] = trainSteps(model, input(dir, name, 'x_sgd'), input(dir, name, 'y_sgd'), {
          loss: 'cross-entropy',
          lr: fx.manifest.sgd.lr,
          steps: 1,
        }).losses;
        const ref = readReference(path.join(dir, name, 'ref_sgd.pt'))
          .get('float32_loss1')!
          .item();
        const err = Math.abs(loss! - ref) / Math.max(1, Math.abs(ref));
        record(name, 'sgd32Loss1', err);
        expect(err).toBeLessThan(1e-4);
      });
    });
  }
});
