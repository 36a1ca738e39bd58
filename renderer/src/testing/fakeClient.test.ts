import { describe, expect, it } from 'vitest';
import type { MethodName } from '../../../app/shared/contract';
import { HostError } from '../client/client';
import { fakeClient } from './fakeClient';

describe('fake host client', () => {
  it('refuses a method the contract lacks with the host’s PayloadError, and records the call', async () => {
    const f = fakeClient({ 'app.info': () => Promise.reject(new Error('never asked')) });
    const call = f.client.call('fs.readFile' as MethodName, {} as never);
    await expect(call).rejects.toBeInstanceOf(HostError);
    await expect(call).rejects.toMatchObject({ name: 'PayloadError', message: 'unknown method "fs.readFile"' });
    expect(f.calls).toEqual([['fs.readFile', {}]]);
  });

  it('a contract method the test did not answer is NotAvailable', async () => {
    const f = fakeClient();
    await expect(f.client.call('step.state', {})).rejects.toMatchObject({
      name: 'NotAvailable',
      message: 'no fake for step.state',
    });
  });

  it('answers from the handler; a throw arrives as a HostError with only its name and message', async () => {
    const thrown = Object.assign(new Error('expected 4D input (got 2D input)'), { name: 'ValueError', extra: 1 });
    const f = fakeClient({
      'job.cancel': (p) => ({ cancelled: p.jobId === 'run-1' }),
      'step.reset': () => {
        throw thrown;
      },
    });
    expect(await f.client.call('job.cancel', { jobId: 'run-1' })).toEqual({ cancelled: true });
    const err = await f.client.call('step.reset', { what: 'all' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect(err).not.toBe(thrown);
    expect(err).toMatchObject({ name: 'ValueError', message: 'expected 4D input (got 2D input)' });
    expect(err).not.toHaveProperty('extra');
  });

  it('pushes events to the listeners still subscribed', () => {
    const f = fakeClient();
    const seen: string[] = [];
    const off = f.client.on('open', (p) => seen.push(p.path));
    f.emit('open', { path: '/a.pt' });
    off();
    f.emit('open', { path: '/b.pt' });
    expect(seen).toEqual(['/a.pt']);
  });
});
