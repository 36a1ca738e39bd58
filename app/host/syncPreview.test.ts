import { describe, expect, it } from 'vitest';
import { buildStack, convertSyncBatchnorm } from '../../engine/index.js';
import { previewSync } from './syncPreview.js';

describe('SyncBatchNorm conversion preview', () => {
  it("previews what the engine's convertSyncBatchnorm builds, printed as the modules print", () => {
    const spec = {
      layers: [
        { type: 'Sequential' as const, layers: [{ type: 'BatchNorm1d' as const, numFeatures: 4, momentum: null }] },
        { type: 'Linear' as const, inFeatures: 4, outFeatures: 2 },
      ],
    };
    const p = previewSync(spec);
    expect(p.converted).toEqual(['0.0']);
    expect(p.after.children[0]!.children[0]).toMatchObject({ path: '0.0', type: 'SyncBatchNorm' });
    const engine = convertSyncBatchnorm(buildStack(spec));
    const sync = new Map(engine.namedModules()).get('0.0')!;
    expect(p.after.children[0]!.children[0]!.extra).toBe(sync.extraRepr());
    expect(buildStack(p.spec).toString()).toBe(engine.toString());
  });
});
