import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { testHostContext } from './testing/testHost.js';

const file = resolve('app/host/fixtures/whole_module_sequential.pt');
const ctx = testHostContext;

describe('torch.save(model) files (issue 15 item 10)', () => {
  it('are refused as they are, and "tensors only" lists their tensors under the state_dict names', async () => {
    const h = await createHandlers(ctx());
    const refused = await dispatch(h, 'checkpoint.open', { path: file, jobId: 'j', tensorsOnly: false });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain("refused global 'torch.nn.modules.container.Sequential'");
    const v = await h['checkpoint.open']({ path: file, jobId: 'j', tensorsOnly: true });
    expect(v.refusedGlobals).toContain('torch.nn.modules.batchnorm.BatchNorm1d');
    expect(v.tensorCount).toBe(7);
    const page = await h['checkpoint.tensors']({ id: v.id, offset: 0, limit: 10, filter: '' });
    expect(page.rows.map((r) => r.key)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(page.rows.find((r) => r.key === '1.running_var')).toMatchObject({ min: 1, max: 1 });
  });
});
