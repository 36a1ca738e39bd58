/** The backends slice: which compute backend runs, choosing one, and a benchmark run. */
import type { BackendsView, BenchRow } from '../../../../app/shared/contract';
import { newJobId, type SliceKit } from '../kit';

export interface BackendsSlice {
  backends: BackendsView | null;
  bench: BenchRow[] | null;
  benchJob: string | null;
  backendsError: string | null;
  loadBackends(): Promise<void>;
  chooseBackend(name: string): Promise<void>;
  runBench(): Promise<void>;
}

export function backendsSlice({ set, client, attempt }: SliceKit): BackendsSlice {
  return {
    backends: null,
    bench: null,
    benchJob: null,
    backendsError: null,
    async loadBackends() {
      const backends = await attempt('backendsError', () => client.call('backend.info', {}));
      if (backends) set({ backends });
    },
    async chooseBackend(name) {
      const backends = await attempt('backendsError', () => client.call('backend.set', { name }));
      // A steps/s figure measured on the previous backend says nothing about this one.
      if (backends) set({ backends, lastRun: null });
    },
    async runBench() {
      const jobId = newJobId('bench');
      set({ benchJob: jobId });
      const r = await attempt('backendsError', () => client.call('backend.bench', { jobId }));
      set({ benchJob: null });
      if (r) set({ bench: r.rows });
    },
  };
}
