/**
 * Specs: the Models workspace on the tiny ResNet torch exported (engine/model/fixtures), and training
 * on the tiny model tools/modelFixtures.ts generates with torch (skipped, with the reason, without it).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeNpy } from '../../app/ranks/npy.js';
import { loadCheckpoint } from '../../engine/index.js';
import { checkStateInTorch, modelFixtures } from '../../tools/modelFixtures.js';
import { expectTrue, skip, type Spec } from '../harness.js';
import { ModelsPage } from '../pages/models.js';
import { Shell } from '../pages/shell.js';

const fixtures = resolve('engine/model/fixtures');

export const modelSpecs: Spec[] = [
  {
    name: 'models: open an .onnx, upload its checkpoint, step, inspect a BatchNorm, train vs eval, recalibrate, export',
    async run(w) {
      const shell = new Shell(w.page);
      const models = new ModelsPage(w.page);
      // A filtered run loads the page just before this spec: Alt+9 only works once the window is up.
      await shell.waitReady();
      await shell.goByKey(9, 'models');
      await models.open(join(fixtures, 'tiny_resnet.onnx'));
      const names = await models.layerNames();
      expectTrue(names.includes('layer1.0.bn2') && names.includes('fc'), `layer tree: ${names.join(', ')}`);
      const weights = await models.uploadWeights(join(fixtures, 'tiny_resnet_ckpt.pt'));
      expectTrue(weights.includes('missing 0, unexpected 0, shape mismatches 0'), `strict report: ${weights}`);
      const ev = await models.step('eval');
      expectTrue(ev.includes('[2, 5]'), `eval output: ${ev}`);
      await models.step('train');
      const head = await models.inspect('layer1.0.bn1');
      expectTrue(head.includes('BatchNorm'), `inspector: ${head}`);
      const first = await models.compare();
      expectTrue(first === 'bn1', `first layer where train and eval part: ${first}`);
      const recal = await models.recalibrate('1');
      expectTrue(recal.includes('3 BatchNorm layers over 2 samples in 2 batches'), `recalibration: ${recal}`);
      const out = join(mkdtempSync(join(tmpdir(), 'ns-e2e-model-')), 'recalibrated.pt');
      const wrote = await models.exportTo(out);
      expectTrue(wrote.includes(out) && existsSync(out), `export: ${wrote}`);
      // After recalibration, one eval pass: the inspector shows that batch against the new running statistics.
      await models.step('eval');
      await models.compare();
      await w.page.getByTestId('ws-models').evaluate((e) => e.scrollIntoView());
      await shell.screenshot('18-models');
      await w.page.getByTestId('model-inspector').evaluate((e) => e.scrollIntoView());
      await shell.screenshot('18b-models-inspector');
    },
  },
  {
    name: 'models: train with SGD — typed settings, bad input refused at the field, losses, views, cancel, save for torch',
    async run(w) {
      const fx = modelFixtures();
      if ('skip' in fx) skip(fx.skip);
      const tiny = (f: string) => join(fx.dir, 'tiny', f);
      const shell = new Shell(w.page);
      const models = new ModelsPage(w.page);
      await shell.waitReady();
      await shell.goByKey(9, 'models');
      await models.open(tiny('model.onnx'));
      const weights = await models.uploadWeights(tiny('checkpoint.pt'));
      expectTrue(weights.includes('missing 0, unexpected 0'), `strict report: ${weights}`);
      await models.useInput(tiny('x.npy'));
      await models.useTarget(tiny('y.npy'));
      const head = await models.inspect('1');
      const counted = Number(/num_batches_tracked = (\d+)/.exec(head)?.[1]);
      expectTrue(Number.isInteger(counted), `inspector: ${head}`);

      // Bad input: marked at its field, and Train refuses while a field does not parse.
      await models.setTrain('lr', 'fast');
      const lrError = await models.trainFieldError('lr');
      expectTrue(lrError.includes('"fast" is not a number'), `lr error: ${lrError}`);
      const refused = await models.trainRefused();
      expectTrue(refused.includes('fix the marked field first: lr'), `refusal: ${refused}`);
      await models.setTrain('lr', '0.05');
      expectTrue((await models.trainFieldError('lr')) === '', 'lr error cleared');
      await models.setTrain('steps', '0');
      const zero = await models.trainFieldError('steps');
      expectTrue(zero.includes('steps must be ≥ 1'), `steps 0: ${zero}`);
      await models.setTrain('steps', '1000000');
      const huge = await models.trainFieldError('steps');
      expectTrue(huge.includes('training budget') && huge.includes('100000'), `steps 1e6: ${huge}`);
      await models.inspectorCount(counted); // nothing ran

      // Train: 6 steps, momentum, batches of 2 (4 samples).
      await models.setTrain('steps', '6');
      await models.setTrain('momentum', '0.9');
      await models.setTrain('weightDecay', '1e-4');
      await models.setTrain('batchSize', '2');
      const result = await models.train();
      expectTrue(result.includes('trained 6 steps (cross-entropy, lr 0.05, momentum 0.9'), `result: ${result}`);
      expectTrue(result.includes('batches of 2'), `batch size: ${result}`);
      const live = await models.trainLive();
      expectTrue(live.startsWith('step 6/6: loss'), `live line: ${live}`);
      const losses = await models.trainLosses();
      expectTrue(
        losses.length === 6 && losses.every((l) => Number.isFinite(Number(l))),
        `losses: ${losses.join(', ')}`,
      );
      const moved = await models.trainedLayers();
      expectTrue(
        ['0', '1', '5'].every((l) => moved.includes(l)),
        `moved layers: ${moved.join(', ')}`,
      );
      // The inspector followed: 6 more batches counted.
      await models.inspectorCount(counted + 6);
      const treeCount = await models.bnCount('1');
      expectTrue(treeCount === String(counted + 6), `layer tree's num_batches_tracked: ${treeCount}`);
      await w.page.getByTestId('model-train-panel').evaluate((e) => e.scrollIntoView());
      await shell.screenshot('18c-models-train');

      // A long run, cancelled as its first losses arrive: nothing changes.
      await models.setTrain('steps', '100000');
      const cancelled = await models.trainAndCancel();
      expectTrue(/^step \d+\/100000/.test(cancelled.live), `live while running: ${cancelled.live}`);
      expectTrue(cancelled.result.includes('as they were'), `cancel: ${cancelled.result}`);
      await models.inspect('1');
      await models.inspectorCount(counted + 6);
      expectTrue((await models.bnCount('1')) === String(counted + 6), 'the layer tree is unchanged by the cancel');

      // Save: the trained weights, loading strict in PyTorch.
      const out = join(mkdtempSync(join(tmpdir(), 'ns-e2e-train-')), 'trained.pt');
      const wrote = await models.exportTo(out);
      expectTrue(wrote.includes(out), `export: ${wrote}`);
      const torch = checkStateInTorch(fx, 'tiny', out);
      expectTrue(
        torch.missing.length === 0 && torch.unexpected.length === 0,
        `torch strict load: ${JSON.stringify(torch)}`,
      );
      const saved = loadCheckpoint(out);
      const original = loadCheckpoint(tiny('checkpoint.pt'));
      try {
        const a = saved.stateDict().get('5.weight')!.toArray();
        const b = original.stateDict().get('5.weight')!.toArray();
        expectTrue(
          a.some((v, i) => v !== b[i]),
          'the saved Linear weight is the trained one',
        );
        const n = saved.stateDict().get('1.num_batches_tracked')!.item();
        expectTrue(n === counted + 6, `saved num_batches_tracked ${n}, want ${counted + 6}`);
      } finally {
        saved.close();
        original.close();
      }
    },
  },
  {
    name: 'models: a two-input model — each input typed as an .npy or seeded, errors name the input, eval and train',
    async run(w) {
      const fx = modelFixtures();
      if ('skip' in fx) skip(fx.skip);
      const shell = new Shell(w.page);
      const models = new ModelsPage(w.page);
      await shell.waitReady();
      await shell.goByKey(9, 'models');
      await models.open(join(fx.dir, 'two_inputs.onnx'));
      const b0 = await models.inputLine('b');
      expectTrue(b0.includes('b (float32 [4, 3])') && b0.includes('generated (seed 1)'), `input b at open: ${b0}`);
      const tmp = mkdtempSync(join(tmpdir(), 'ns-e2e-two-'));
      const a = join(tmp, 'a.npy');
      const data = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 2);
      writeFileSync(a, writeNpy({ shape: [4, 3], dtype: 'float32', data }));
      const aLine = await models.useInputFor('a', a);
      expectTrue(aLine.includes(`[4, 3] from ${a}`), `input a: ${aLine}`);
      // Bad input, each error naming its input: a file of the wrong shape for b; b with another batch size.
      const wrong = join(tmp, 'wrong.npy');
      writeFileSync(wrong, writeNpy({ shape: [4, 5], dtype: 'float32', data: new Float32Array(20) }));
      await models.submitInputFor('b', wrong);
      await models.error("has shape [4, 5] but input 'b' is [4, 3]");
      await models.generateInputFor('b', '3', '5');
      await w.page.getByTestId('model-step-eval').click();
      await models.error("input 'b' has batch 3 but 'a' has 4");
      const bLine = await models.generateInputFor('b', '4', '5');
      expectTrue(bLine.includes('[4, 3] from generated (seed 5)'), `input b: ${bLine}`);
      const before = await models.step('eval');
      expectTrue(before.includes('sum [4, 3] mean'), `eval output: ${before}`);
      const train = await models.step('train');
      expectTrue(train.includes('sum [4, 3] mean'), `train output: ${train}`);
      // Every setting typed (an earlier spec's stay in the window).
      for (const [field, text] of [
        ['steps', '5'],
        ['lr', '0.5'],
        ['momentum', '0'],
        ['weightDecay', '0'],
        ['batchSize', '4'],
      ] as const)
        await models.setTrain(field, text);
      const result = await models.train();
      expectTrue(result.includes('trained 5 steps (cross-entropy, lr 0.5'), `training: ${result}`);
      expectTrue(result.includes('batches of 4'), `training batch size: ${result}`);
      const after = await models.step('eval');
      const outputs = (line: string) => line.slice(line.indexOf('):'));
      expectTrue(outputs(after) !== outputs(before), `eval output after training: ${after} (before: ${before})`);
    },
  },
];
