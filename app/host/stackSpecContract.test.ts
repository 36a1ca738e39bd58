/**
 * The contract's stack-spec vocabulary (app/shared, which the renderer may import) must stay the
 * engine's (engine/nn/stackSpec, which builds the stacks): the layer types are listed in both places
 * because the renderer never imports engine code.
 */
import { describe, expect, it } from 'vitest';
import { LAYER_TYPES as CONTRACT_TYPES, type StackSpec } from '../shared/stackSpec.js';
import { LAYER_TYPES as ENGINE_TYPES, buildStack, specOf } from '../../engine/index.js';

describe('stack spec contract', () => {
  it('lists exactly the engine layer types', () => {
    expect([...CONTRACT_TYPES]).toEqual([...ENGINE_TYPES]);
  });

  it('every engine spec is a valid contract spec and builds back to the same tree', () => {
    const spec: StackSpec = {
      layers: [
        { type: 'Conv2d', inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 },
        { type: 'BatchNorm2d', numFeatures: 4, momentum: null },
        { type: 'ReLU' },
        { type: 'Flatten' },
        { type: 'Sequential', layers: [{ type: 'Linear', inFeatures: 64, outFeatures: 2 }, { type: 'LazyBatchNorm1d' }] },
      ],
    };
    const m = buildStack(spec);
    const again = specOf(m) as unknown as StackSpec;
    expect(buildStack({ layers: again.layers }).toString()).toBe(m.toString());
  });
});
