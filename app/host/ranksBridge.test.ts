/**
 * Ranks as Electron runs them: the host worker's coordinator asks the main thread to fork each rank
 * (app/ranks/forkBridge.ts). Electron's utilityProcess.fork is replaced by a child_process stand-in;
 * everything else — the worker thread, the bridge messages, the ranks — is real.
 */
import { describe, expect, it } from 'vitest';
import { startHostWorker } from './hostWorker.js';
import { childProcessUtilityFork } from '../ranks/fakeUtilityFork.js';
import type { UtilityFork } from '../ranks/rankProcess.js';

describe('host worker with ranks forked by the main thread', () => {
  it('starts, steps and stops a 2-rank group through the bridge', async () => {
    const forked: string[] = [];
    const fork: UtilityFork = (modulePath, args, options) => {
      forked.push(options.serviceName);
      return childProcessUtilityFork(modulePath, args, options);
    };
    const host = await startHostWorker('electron', { rankFork: fork });
    try {
      const built = await host.request('stack.build', {
        spec: { layers: [{ type: 'SyncBatchNorm', numFeatures: 2 }] },
        inputShape: [6, 2],
        seed: 0,
      });
      expect(built.ok).toBe(true);
      const started = await host.request('ranks.start', { worldSize: 2, shards: [4, 2], subgroups: [] });
      expect(started).toMatchObject({ ok: true });
      expect(forked.sort()).toEqual(['NormScope rank 0', 'NormScope rank 1']);
      const step = await host.request('ranks.step', {});
      if (!step.ok) throw new Error(JSON.stringify(step.error));
      const s = step.value as { lastError: string | null; step: number; combinedMean: number[] | null };
      expect(s.lastError).toBeNull();
      expect(s.step).toBe(1);
      expect(s.combinedMean).toHaveLength(2);
      expect(await host.request('ranks.stop', {})).toMatchObject({ ok: true });
    } finally {
      await host.close();
    }
  }, 120_000);
});
