import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateDict, Tensor } from '../../engine/index.js';
import { saveSafetensors } from '../../engine/testing.js';
import { startHostWorker, type HostConnection } from './hostWorker.js';

let host: HostConnection;
beforeAll(async () => {
  host = await startHostWorker('browser');
});
afterAll(async () => {
  await host?.close();
});

describe('host on a worker thread', () => {
  it('answers requests and reports errors as data', async () => {
    expect(await host.request('app.info', {})).toMatchObject({ ok: true, value: { runtime: 'browser' } });
    expect(await host.request('inspect.layer', { path: '0' })).toMatchObject({
      ok: false,
      error: { name: 'NotAvailable' },
    });
  });

  it('cancels a checkpoint being read tensor by tensor (the flag reaches the busy worker)', async () => {
    const sd = new StateDict();
    for (let i = 0; i < 20000; i++) sd.set(`layer${i}.weight`, new Tensor(new Float32Array(64).fill(i), [64]));
    const file = join(mkdtempSync(join(tmpdir(), 'ns-big-')), 'many.safetensors');
    saveSafetensors(file, sd);
    const events: number[] = [];
    const off = host.onEvent((e, p) => {
      if (e === 'progress' && (p as { jobId: string }).jobId === 'big') events.push((p as { done: number }).done);
    });
    const opening = host.request('checkpoint.open', { path: file, jobId: 'big', tensorsOnly: false });
    await new Promise((r) => setTimeout(r, 50));
    await host.request('job.cancel', { jobId: 'big' });
    const out = await opening;
    off();
    expect(out).toMatchObject({ ok: false, error: { name: 'Cancelled' } });
    // The worker is still healthy afterwards.
    expect(await host.request('app.info', {})).toMatchObject({ ok: true });
  }, 60_000);
});
