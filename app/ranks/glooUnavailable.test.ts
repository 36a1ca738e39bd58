/** Where the gloo addon cannot load, the gloo backend says why (and ipc still works). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from './npy.js';

describe('gloo backend without its addon', () => {
  it('reports the reason from glooAvailability, the coordinator and the CLI', async () => {
    process.env.NORMSCOPE_GLOO_ADDON = '/nonexistent/normscope_gloo.node';
    const { glooAvailability } = await import('./glooAddon.js');
    const { RankCoordinator } = await import('./coordinator.js');
    const { runRanks } = await import('../cli/ranks.js');
    const g = glooAvailability();
    expect(g.available).toBe(false);
    expect(g.reason).toMatch(/gloo addon at \/nonexistent\/normscope_gloo.node failed to load/);
    await expect(new RankCoordinator({ world: 2, backend: 'gloo' }).start()).rejects.toThrow(
      /gloo backend unavailable: the gloo addon/,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'normscope-nogloo-'));
    const stack = path.join(dir, 's.json');
    const input = path.join(dir, 'x.npy');
    writeFileSync(stack, JSON.stringify({ layers: [{ type: 'BatchNorm1d', numFeatures: 2 }] }));
    writeFileSync(input, writeNpy({ shape: [4, 2], dtype: 'float32', data: new Float32Array(8) }));
    let err = '';
    const code = await runRanks(
      ['--world', '2', '--stack', stack, '--input', input, '--steps', '1', '--backend', 'gloo'],
      { write: () => 0 },
      { write: (s: string) => (err += s) },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(err).toMatch(/^normscope ranks: the gloo backend is unavailable: the gloo addon at \/nonexistent/);
    delete process.env.NORMSCOPE_GLOO_ADDON;
  });
});
