/**
 * The contract's stack-spec vocabulary (app/shared, which the window may import) is the engine's own
 * definition (engine/nn/layerSpec.ts), re-exported: the same table, the same validator.
 */
import { describe, expect, it } from 'vitest';
import {
  LAYER_TYPES as CONTRACT_TYPES,
  LAYER_OPTIONS as CONTRACT_OPTIONS,
  type StackSpec,
} from '../shared/stackSpec.js';
import { LAYER_DOMAINS } from '../shared/numeric.js';
import * as engine from '../../engine/index.js';
import { validatePayload } from './validate.js';

describe('stack spec contract', () => {
  it('is the engine definition, not a copy', () => {
    expect(CONTRACT_TYPES).toBe(engine.LAYER_TYPES);
    expect(CONTRACT_OPTIONS).toBe(engine.LAYER_OPTIONS);
    expect(LAYER_DOMAINS.numFeatures).toBe(
      (engine.LAYER_OPTIONS.BatchNorm1d.numFeatures as { domain: unknown }).domain,
    );
  });

  it('every engine spec is a valid contract spec and builds back to the same tree', () => {
    const spec: StackSpec = {
      layers: [
        { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 },
        { type: 'BatchNorm2d', numFeatures: 4, momentum: null },
        { type: 'ReLU' },
        { type: 'Flatten' },
        {
          type: 'Sequential',
          layers: [{ type: 'Linear', inFeatures: 64, outFeatures: 2 }, { type: 'LazyBatchNorm1d' }],
        },
      ],
    };
    const m = engine.buildStack(spec);
    const again = engine.stackSpecOf(m);
    expect(() => validatePayload('stack.validate', { spec: again, inputShape: [2, 3, 4, 4] })).not.toThrow();
    expect(engine.buildStack(again).toString()).toBe(m.toString());
  });

  it('the host refuses what buildStack refuses, with the same text under the payload path', () => {
    const bad = [
      { layers: [{ type: 'Linear', inFeatures: 0, outFeatures: 2 }] },
      { layers: [{ type: 'Conv2d', inChannels: 1, outChannels: 1 }] },
      { layers: [{ type: 'Flatten', startDim: 1.5 }] },
      { layers: [{ type: 'ReLU', constructor: 1 }] },
      { layers: [{ type: 'BatchNorm1d', numFeatures: 2, momentum: 'x' }] },
      { layers: [], dtype: 'int8' },
    ];
    for (const spec of bad) {
      const text = engine.stackSpecProblem(spec)!;
      expect(() => engine.buildStack(spec)).toThrow(text);
      expect(() => validatePayload('stack.previewSync', { spec })).toThrow(`stack.previewSync: spec.${text}`);
    }
  });
});
