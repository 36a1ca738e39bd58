/** Specs: the Models workspace on the tiny ResNet torch exported (engine/model/fixtures). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectTrue, type Spec } from '../harness.js';
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
];
