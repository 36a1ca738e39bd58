/** The diff slice: two checkpoints compared (a long job with progress). */
import type { DiffResult } from '../../../../app/shared/contract';
import { newJobId, type SliceKit } from '../kit';

export interface DiffSlice {
  diff: DiffResult | null;
  diffError: string | null;
  diffJob: string | null;
  runDiff(a: string, b: string, stripPrefix: string | null): Promise<void>;
}

export function diffSlice({ set, get, client, attempt }: SliceKit): DiffSlice {
  return {
    diff: null,
    diffError: null,
    diffJob: null,
    async runDiff(a, b, stripPrefix) {
      const jobId = newJobId('diff');
      set({ diffJob: jobId });
      const diff = await attempt('diffError', () => client.call('diff.run', { a, b, stripPrefix, jobId }));
      set({ diffJob: null, diff: diff ?? get().diff });
    },
  };
}
